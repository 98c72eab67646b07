"""Idempotent acks=all producer for the cluster failover test.

Usage: producer.py BOOTSTRAP TOPIC COUNT RATE

Sends COUNT unique values ("py" + sequence number) at about RATE per second
and prints one JSON line per delivery report: {"v", "p", "o"} when
acknowledged, {"v", "err"} when not. Exits after flushing (bounded).
"""
import json
import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic, count, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    p = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 60000,
        "topic.metadata.refresh.interval.ms": 1000,
    })

    def report(err, msg):
        line = {"v": msg.value().decode()}
        if err is not None:
            line["err"] = str(err)
        else:
            line["p"], line["o"] = msg.partition(), msg.offset()
        print(json.dumps(line), flush=True)

    start = time.monotonic()
    for i in range(count):
        while True:
            try:
                p.produce(topic, value=b"py%09d" % i, on_delivery=report)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
        ahead = (i + 1) / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    left = p.flush(90)
    print(json.dumps({"done": True, "undelivered": left}), flush=True)


if __name__ == "__main__":
    main()
