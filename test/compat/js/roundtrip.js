// kafkajs 2.2.4 scenarios for Strom's compat suite (see ../kafkajs_test.go).
//
// Usage: node roundtrip.js BOOTSTRAP TOPIC
// Creates TOPIC with 3 partitions, then, in this order, sends p0..p4 to partition 2,
// z0..z4 gzip-compressed to partition 1, i0..i4 with an idempotent producer to
// partition 0, and k0..k9 keyed (key kN, value vN) through the default partitioner,
// and lists the topic's offsets. Prints one JSON object on stdout: for each step
// {ok, result, error}. kafkajs's own log goes to stderr. The consumer side is checked
// from Go: kafkajs's consumer needs consumer groups.
'use strict'

const { Partitioners, CompressionTypes } = require('kafkajs')
const { newKafka, newOutput } = require('./common')

const [bootstrap, topic] = process.argv.slice(2)
const { out, step } = newOutput()

const kafka = newKafka('strom-compat', bootstrap)


const values = (prefix, n, extra = {}) =>
  Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}`, ...extra }))

async function main () {
  const admin = kafka.admin()
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  const idempotent = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await admin.connect()
  await producer.connect()

  await step('createTopics', () =>
    admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }))
  await step('metadata', () => admin.fetchTopicMetadata({ topics: [topic] }))
  await step('sendPartition', () =>
    producer.send({ topic, acks: -1, messages: values('p', 5, { partition: 2 }) }))
  await step('sendGzip', () =>
    producer.send({ topic, compression: CompressionTypes.GZIP, messages: values('z', 5, { partition: 1 }) }))
  await step('sendIdempotent', async () => {
    await idempotent.connect()
    try {
      return await idempotent.send({ topic, acks: -1, messages: values('i', 5, { partition: 0 }) })
    } finally {
      await idempotent.disconnect()
    }
  })
  await step('sendKeyed', () =>
    producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    }))
  await step('fetchTopicOffsets', () => admin.fetchTopicOffsets(topic))

  await producer.disconnect()
  await admin.disconnect()
}

const watchdog = setTimeout(() => {
  out.error = 'watchdog: kafkajs did not finish within 35s'
  process.stdout.write(JSON.stringify(out) + '\n')
  process.exit(2)
}, 35000)

main()
  .catch((e) => { out.error = `${e.name}: ${e.message}` })
  .finally(() => {
    clearTimeout(watchdog)
    process.stdout.write(JSON.stringify(out) + '\n')
  })
