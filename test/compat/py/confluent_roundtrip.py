"""confluent-kafka-python round trip for Strom's compat suite (see ../python_test.go).

Produces COUNT keyed messages (key<i>, <prefix><i>) to partition 0 of TOPIC, then reads partition 0 back by
assignment from the beginning (no consumer group is used), and prints one JSON object:
{"version", "produced": [{"key","value","partition","offset","error"}], "consumed": [...],
 "error"}.
Usage: /usr/bin/python3 confluent_roundtrip.py BOOTSTRAP TOPIC COUNT
       [--compression CODEC] [--idempotent] [--value-prefix PREFIX]
"""
import argparse
import json
import time

import confluent_kafka
from confluent_kafka import Consumer, OFFSET_BEGINNING, Producer, TopicPartition

DEADLINE_S = 15


def text(b):
    return None if b is None else b.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bootstrap")
    ap.add_argument("topic")
    ap.add_argument("count", type=int)
    ap.add_argument("--compression", default="none")
    ap.add_argument("--idempotent", action="store_true")
    ap.add_argument("--value-prefix", default="value")
    args = ap.parse_args()
    bootstrap, topic, count = args.bootstrap, args.topic, args.count
    out = {"version": confluent_kafka.version()[0], "produced": [], "consumed": [], "error": None}

    def delivered(err, msg):
        out["produced"].append({
            "key": text(msg.key()), "value": text(msg.value()),
            "partition": msg.partition(), "offset": msg.offset(),
            "error": str(err) if err else None,
        })

    p = Producer({"bootstrap.servers": bootstrap, "compression.type": args.compression,
                  "message.timeout.ms": 14000, "enable.idempotence": args.idempotent})
    for i in range(count):
        p.produce(topic, key=f"key{i}", value=f"{args.value_prefix}{i}", partition=0, on_delivery=delivered)
    left = p.flush(DEADLINE_S)
    if left:
        out["error"] = f"{left} messages not delivered after flush"
        print(json.dumps(out))
        return

    # group.id is required by the client but unused: assign() involves no coordinator.
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "compat-unused",
                  "enable.auto.commit": False, "enable.auto.offset.store": False})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    deadline = time.monotonic() + DEADLINE_S
    while len(out["consumed"]) < count and time.monotonic() < deadline:
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            out["error"] = str(msg.error())
            break
        out["consumed"].append({"key": text(msg.key()), "value": text(msg.value()),
                                "partition": msg.partition(), "offset": msg.offset()})
    c.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
