"""confluent-kafka-python consumer-group run for Strom's compat suite (see ../groups_python_test.go).

Subscribes to TOPIC as a member of GROUP (auto.offset.reset=earliest, auto-commit off),
polls until COUNT messages arrived, commits them synchronously, leaves the group, and
prints one JSON object:
{"version", "consumed": ["partition/offset value", ...], "committed": {"partition": offset}, "error"}.
Usage: /usr/bin/python3 confluent_group.py BOOTSTRAP TOPIC GROUP COUNT
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer

DEADLINE_S = 20


def main():
    bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    out = {"version": confluent_kafka.version()[0], "consumed": [], "committed": {}, "error": None}
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
    try:
        c.subscribe([topic])
        deadline = time.monotonic() + DEADLINE_S
        while len(out["consumed"]) < count and time.monotonic() < deadline:
            msg = c.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                out["error"] = "poll: " + str(msg.error())
                break
            out["consumed"].append(f"{msg.partition()}/{msg.offset()} {msg.value().decode()}")
        if len(out["consumed"]) < count and out["error"] is None:
            out["error"] = f"only {len(out['consumed'])} of {count} messages within {DEADLINE_S}s"
        if out["consumed"]:
            for tp in c.commit(asynchronous=False):
                if tp.error:
                    out["error"] = f"commit {tp.topic}/{tp.partition}: {tp.error}"
                out["committed"][str(tp.partition)] = tp.offset
    except Exception as e:  # reported to the Go side, which fails the scenario
        out["error"] = repr(e)
    finally:
        c.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
