"""kafka-python consumer-group run for Strom's compat suite (see ../groups_python_test.go).

Subscribes to TOPIC as a member of GROUP (auto_offset_reset=earliest, auto-commit off),
polls until COUNT messages arrived, commits them synchronously, leaves the group, and
prints one JSON object:
{"version", "consumed": ["partition/offset value", ...], "committed": {"partition": offset}, "error"}.
Usage: /usr/bin/python3 kafkapython_group.py BOOTSTRAP TOPIC GROUP COUNT
"""
import json
import sys
import time

import kafka
from kafka import KafkaConsumer

DEADLINE_S = 20


def main():
    bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    out = {"version": kafka.__version__, "consumed": [], "committed": {}, "error": None}
    c = None
    try:
        c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                          enable_auto_commit=False, session_timeout_ms=10000, heartbeat_interval_ms=500,
                          request_timeout_ms=15000)
        deadline = time.monotonic() + DEADLINE_S
        while len(out["consumed"]) < count and time.monotonic() < deadline:
            for msgs in c.poll(timeout_ms=200).values():
                for m in msgs:
                    out["consumed"].append(f"{m.partition}/{m.offset} {m.value.decode()}")
        if len(out["consumed"]) < count:
            out["error"] = f"only {len(out['consumed'])} of {count} messages within {DEADLINE_S}s"
        if out["consumed"]:
            c.commit()
            for tp in c.assignment():
                out["committed"][str(tp.partition)] = c.committed(tp)
    except Exception as e:  # reported to the Go side, which fails the scenario
        out["error"] = repr(e)
    finally:
        if c is not None:
            c.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
