"""confluent-kafka-python against a secured Strom (see ../security_test.go).

Produces COUNT messages to partition 0 of TOPIC and reads them back by
assignment, with the librdkafka security settings given as key=value
arguments (security.protocol, sasl.*, ssl.*), and prints one JSON object:
{"version", "produced": [...], "consumed": [...], "error"}.
Usage: /usr/bin/python3 confluent_secure.py BOOTSTRAP TOPIC COUNT key=value...
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, OFFSET_BEGINNING, Producer, TopicPartition

DEADLINE_S = 15


def text(b):
    return None if b is None else b.decode()


def main():
    bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    security = dict(a.split("=", 1) for a in sys.argv[4:])
    out = {"version": confluent_kafka.version()[0], "produced": [], "consumed": [], "error": None}

    def delivered(err, msg):
        out["produced"].append({"key": text(msg.key()), "value": text(msg.value()),
                                "partition": msg.partition(), "offset": msg.offset(),
                                "error": str(err) if err else None})

    try:
        p = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 10000, **security})
        for i in range(count):
            p.produce(topic, key=f"key{i}", value=f"secure{i}", partition=0, on_delivery=delivered)
        p.flush(DEADLINE_S)
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False, **security})
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        deadline = time.time() + DEADLINE_S
        while len(out["consumed"]) < count and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                out["error"] = str(m.error())
                break
            out["consumed"].append({"key": text(m.key()), "value": text(m.value()),
                                    "partition": m.partition(), "offset": m.offset(), "error": None})
        c.close()
    except Exception as e:  # reported, not raised: the Go test prints it
        out["error"] = repr(e)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
