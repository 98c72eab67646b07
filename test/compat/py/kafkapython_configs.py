"""kafka-python config admin run for Strom's compat suite (see ../configs_python_test.go).

Alters TOPIC's configs with KafkaAdminClient.alter_configs (AlterConfigs: the whole set is
replaced) to retention.ms=RETENTION and cleanup.policy=compact, describes them with
describe_configs (include_synonyms), then tries an unknown config name, and prints one JSON
object:
{"version", "alter_error": code, "configs": {name: {"value", "source"}}, "invalid_error": code,
 "invalid_message", "error"}.
Usage: /usr/bin/python3 kafkapython_configs.py BOOTSTRAP TOPIC RETENTION
"""
import json
import sys

import kafka
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient


def alter(adm, topic, configs):
    resp = adm.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=configs)])
    code, message, _, _ = resp.resources[0]
    return code, message


def main():
    bootstrap, topic, retention = sys.argv[1], sys.argv[2], sys.argv[3]
    out = {"version": kafka.__version__, "configs": {}, "error": None}
    adm = None
    try:
        adm = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
        out["alter_error"], _ = alter(adm, topic, {"retention.ms": retention, "cleanup.policy": "compact"})
        for resp in adm.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], include_synonyms=True):
            for code, message, _, _, entries in resp.resources:
                if code:
                    out["error"] = f"describe_configs: error {code}: {message}"
                for entry in entries:
                    name, value, source = entry[0], entry[1], entry[3]
                    out["configs"][name] = {"value": value, "source": source}
        out["invalid_error"], out["invalid_message"] = alter(adm, topic, {"no.such.config": "1"})
    except Exception as e:  # reported to the Go side, which fails the scenario
        out["error"] = repr(e)
    finally:
        if adm is not None:
            adm.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
