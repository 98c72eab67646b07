"""confluent-kafka-python config admin run for Strom's compat suite (see ../configs_python_test.go).

MODE legacy: AdminClient.alter_configs (AlterConfigs: the whole set is replaced) sets
retention.ms=RETENTION and cleanup.policy=compact. MODE incremental:
AdminClient.incremental_alter_configs (IncrementalAlterConfigs, confluent-kafka >= 2.2)
SETs retention.ms=RETENTION and APPENDs compact to cleanup.policy. Then describe_configs, and
the same call with an unknown config name. Prints one JSON object:
{"version", "alter_error", "configs": {name: {"value", "source"}}, "invalid_error", "error",
 "unavailable"}; error strings are librdkafka's error names ("" for success).
Usage: /usr/bin/python3 confluent_configs.py BOOTSTRAP TOPIC RETENTION MODE
"""
import json
import sys

import confluent_kafka
from confluent_kafka.admin import AdminClient, ConfigResource

TIMEOUT_S = 15


def error_name(e):
    kafka_error = e.args[0] if e.args else None
    name = getattr(kafka_error, "name", None)
    return name() if callable(name) else repr(e)


def alter(adm, topic, mode, configs):
    """configs: {name: (op, value)}; returns "" or the error name."""
    if mode == "legacy":
        res = ConfigResource("topic", topic, set_config={k: v for k, (_, v) in configs.items()})
        futures = adm.alter_configs([res], request_timeout=TIMEOUT_S)
    else:
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry
        ops = {"SET": AlterConfigOpType.SET, "APPEND": AlterConfigOpType.APPEND}
        entries = [ConfigEntry(k, v, incremental_operation=ops[op]) for k, (op, v) in configs.items()]
        futures = adm.incremental_alter_configs([ConfigResource("topic", topic, incremental_configs=entries)],
                                                request_timeout=TIMEOUT_S)
    try:
        for f in futures.values():
            f.result(timeout=TIMEOUT_S)
        return ""
    except confluent_kafka.KafkaException as e:
        return error_name(e)


def main():
    bootstrap, topic, retention, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    out = {"version": confluent_kafka.version()[0], "configs": {}, "error": None, "unavailable": False}
    adm = AdminClient({"bootstrap.servers": bootstrap})
    if mode == "incremental" and not hasattr(adm, "incremental_alter_configs"):
        out["unavailable"] = True
        print(json.dumps(out))
        return
    try:
        out["alter_error"] = alter(adm, topic, mode, {"retention.ms": ("SET", retention), "cleanup.policy": ("APPEND", "compact")})
        futures = adm.describe_configs([ConfigResource("topic", topic)], request_timeout=TIMEOUT_S)
        for f in futures.values():
            for name, entry in f.result(timeout=TIMEOUT_S).items():
                out["configs"][name] = {"value": entry.value, "source": int(entry.source)}
        out["invalid_error"] = alter(adm, topic, mode, {"no.such.config": ("SET", "1")})
    except Exception as e:  # reported to the Go side, which fails the scenario
        out["error"] = repr(e)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
