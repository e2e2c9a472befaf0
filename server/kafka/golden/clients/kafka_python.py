"""One golden-capture scenario with kafka-python: python3 kafka_python.py SCENARIO BOOTSTRAP PREFIX [MECHANISM USER PASSWORD]."""
import sys

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType, ConfigResource, ConfigResourceType,
                         NewPartitions, NewTopic, ResourcePattern, ResourcePatternFilter, ResourceType)

scenario, bootstrap, prefix = sys.argv[1:4]
common = {"bootstrap_servers": bootstrap, "client_id": "golden", "request_timeout_ms": 40000}
if len(sys.argv) > 4:
    mechanism, user, password = sys.argv[4:7]
    common.update(security_protocol="SASL_PLAINTEXT", sasl_mechanism=mechanism, sasl_plain_username=user, sasl_plain_password=password)
topic = prefix + "-py"
group = prefix + "-py-group"


def admin():
    a = KafkaAdminClient(**common)
    t = prefix + "-py-admin"
    a.create_topics([NewTopic(t, 1, 1, topic_configs={"retention.ms": "3600000"})])
    a.create_partitions({t: NewPartitions(2)})
    a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t)])
    a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t, configs={"retention.ms": "7200000"})])
    a.describe_topics([t])
    a.describe_cluster()
    a.delete_topics([t])
    a.close()


def produce_and_consume():
    p = KafkaProducer(acks="all", compression_type="gzip", **common)
    for i in range(2):
        p.send(topic, key=b"k", value=b"golden-%d" % i)
    p.flush()
    p.close()
    c = KafkaConsumer(topic, group_id=group, auto_offset_reset="earliest", consumer_timeout_ms=10000, heartbeat_interval_ms=500, **common)
    seen = 0
    for _ in c:
        seen += 1
        if seen == 2:
            break
    if seen < 2:
        raise SystemExit("consumer saw %d of 2 records" % seen)
    c.commit()
    c.offsets_for_times({TopicPartition(topic, 0): 0})
    c.close()
    a = KafkaAdminClient(**common)
    a.list_consumer_groups()
    a.describe_consumer_groups([group])
    a.list_consumer_group_offsets(group)
    a.delete_consumer_groups([group])
    a.close()


def acls():
    a = KafkaAdminClient(**common)
    name = prefix + "-py-acl"
    acl = ACL("User:" + name, "*", ACLOperation.READ, ACLPermissionType.ALLOW, ResourcePattern(ResourceType.TOPIC, name, ACLResourcePatternType.LITERAL))
    a.create_acls([acl])
    a.describe_acls(ACLFilter(None, None, ACLOperation.ANY, ACLPermissionType.ANY, ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY)))
    a.delete_acls([ACLFilter(acl.principal, "*", ACLOperation.READ, ACLPermissionType.ALLOW, ResourcePatternFilter(ResourceType.TOPIC, name, ACLResourcePatternType.LITERAL))])
    a.close()


def metadata():
    c = KafkaConsumer(**common)
    c.topics()
    c.close()


{"admin": admin, "produce and consume in a group": produce_and_consume, "acls": acls, "metadata": metadata}[scenario]()
