"""confluent-kafka-python transactions against Strom (see ../txn_test.go).

As one transactional producer: produces c0..c2 to partition 0 of OUT_TOPIC
with offset 3 of IN_TOPIC for GROUP (send_offsets_to_transaction) and
commits; produces a0, a1 with offset 99 and aborts; produces c3 and commits.
Then a read_committed consumer (librdkafka's default) reads OUT_TOPIC from
the start to its end. Prints one JSON object:
{"version", "steps": {name: error or null}, "consumed": [...], "error"}.
Usage: /usr/bin/python3 confluent_txn.py BOOTSTRAP OUT_TOPIC IN_TOPIC GROUP
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, OFFSET_BEGINNING, Producer, TopicPartition

TIMEOUT_S = 15


def main():
    bootstrap, out_topic, in_topic, group = sys.argv[1:5]
    out = {"version": confluent_kafka.version()[0], "steps": {}, "consumed": [], "error": None}
    try:
        p = Producer({"bootstrap.servers": bootstrap, "transactional.id": "strom-compat-confluent",
                      "message.timeout.ms": 10000})
        # An unsubscribed consumer of GROUP only supplies the group metadata
        # send_offsets_to_transaction needs (generation -1: no fencing).
        meta = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
        p.init_transactions(TIMEOUT_S)

        def txn(name, values, offset, commit):
            try:
                p.begin_transaction()
                for v in values:
                    p.produce(out_topic, value=v, partition=0)
                if offset is not None:
                    p.send_offsets_to_transaction([TopicPartition(in_topic, 0, offset)],
                                                  meta.consumer_group_metadata(), TIMEOUT_S)
                if commit:
                    p.commit_transaction(TIMEOUT_S)
                else:
                    p.flush(TIMEOUT_S)  # the aborted records reach the log first
                    p.abort_transaction(TIMEOUT_S)
                out["steps"][name] = None
            except Exception as e:  # reported per step
                out["steps"][name] = repr(e)

        txn("commit", ["c0", "c1", "c2"], 3, True)
        txn("abort", ["a0", "a1"], 99, False)
        txn("commit2", ["c3"], None, True)
        meta.close()

        c = Consumer({"bootstrap.servers": bootstrap, "group.id": group + "-reader",
                      "enable.auto.commit": False, "enable.partition.eof": True})
        c.assign([TopicPartition(out_topic, 0, OFFSET_BEGINNING)])
        deadline = time.time() + TIMEOUT_S
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    break
                out["error"] = str(m.error())
                break
            out["consumed"].append({"offset": m.offset(), "value": m.value().decode()})
        c.close()
    except Exception as e:  # reported, not raised: the Go test prints it
        out["error"] = repr(e)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
