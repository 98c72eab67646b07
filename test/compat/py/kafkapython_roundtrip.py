"""kafka-python round trip for Strom's compat suite (see ../python_test.go).

Produces COUNT keyed messages (key<i>, <prefix><i>) to partition 0 of TOPIC, which does not exist yet
(kafka-python relies on auto-creation through Metadata), then reads partition 0 back
by assignment from the beginning (group_id=None: no coordinator), and prints one JSON
object: {"version", "produced": [...], "consumed": [...], "error"}.
Usage: /usr/bin/python3 kafkapython_roundtrip.py BOOTSTRAP TOPIC COUNT
       [--compression CODEC] [--value-prefix PREFIX]
"""
import argparse
import json
import time

import kafka
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

DEADLINE_S = 15


def text(b):
    return None if b is None else b.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bootstrap")
    ap.add_argument("topic")
    ap.add_argument("count", type=int)
    ap.add_argument("--compression", default=None)
    ap.add_argument("--value-prefix", default="value")
    args = ap.parse_args()
    bootstrap, topic, count = args.bootstrap, args.topic, args.count
    out = {"version": kafka.__version__, "produced": [], "consumed": [], "error": None}

    # send() blocks for metadata up to max_block_ms; keep every wait inside DEADLINE_S.
    deadline = time.monotonic() + DEADLINE_S
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", compression_type=args.compression,
                      request_timeout_ms=10000, max_block_ms=10000)
    try:
        futures = [p.send(topic, key=f"key{i}".encode(), value=f"{args.value_prefix}{i}".encode(), partition=0)
                   for i in range(count)]
    except Exception as e:  # reported to the Go side, which fails the scenario
        out["error"] = "send: " + repr(e)
        print(json.dumps(out))
        return
    for i, f in enumerate(futures):
        entry = {"key": f"key{i}", "value": f"{args.value_prefix}{i}", "partition": None, "offset": None, "error": None}
        try:
            md = f.get(timeout=max(0.1, deadline - time.monotonic()))
            entry["partition"], entry["offset"] = md.partition, md.offset
        except Exception as e:
            entry["error"] = repr(e)
        out["produced"].append(entry)
    p.close(timeout=5)

    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    deadline = time.monotonic() + DEADLINE_S
    while len(out["consumed"]) < count and time.monotonic() < deadline:
        for msgs in c.poll(timeout_ms=500).values():
            for m in msgs:
                out["consumed"].append({"key": text(m.key), "value": text(m.value),
                                        "partition": m.partition, "offset": m.offset})
    c.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
