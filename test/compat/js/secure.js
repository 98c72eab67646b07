// kafkajs 2.2.4 over SASL_SSL for Strom's compat suite (see ../security_test.go).
//
// Usage: node secure.js BOOTSTRAP TOPIC MECHANISM USER PASSWORD CA_FILE
// Sends s0..s2 to partition 0 of TOPIC (acks=all) as USER with MECHANISM
// ("plain" or "scram-sha-256") over TLS trusting CA_FILE, and lists the
// topic's offsets. Prints one JSON object: {version, send, offsets, error}.
'use strict'

const fs = require('fs')
const { Kafka, logLevel } = require('kafkajs')
const { newOutput } = require('./common')

const [bootstrap, topic, mechanism, username, password, caFile] = process.argv.slice(2)
const { out, step } = newOutput()

const kafka = new Kafka({
  clientId: 'strom-compat-secure',
  brokers: [bootstrap],
  ssl: { ca: [fs.readFileSync(caFile, 'utf-8')] },
  sasl: { mechanism, username, password },
  connectionTimeout: 3000,
  requestTimeout: 10000,
  retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  logLevel: logLevel.WARN,
  logCreator: () => ({ namespace, level, log }) =>
    process.stderr.write(JSON.stringify({ namespace, level, ...log }) + '\n'),
})

async function main () {
  const producer = kafka.producer()
  const admin = kafka.admin()
  await step('send', async () => {
    await producer.connect()
    try {
      return await producer.send({ topic, acks: -1, messages: [0, 1, 2].map((i) => ({ value: `s${i}`, partition: 0 })) })
    } finally {
      await producer.disconnect()
    }
  })
  await step('offsets', async () => {
    await admin.connect()
    try {
      return await admin.fetchTopicOffsets(topic)
    } finally {
      await admin.disconnect()
    }
  })
}

const watchdog = setTimeout(() => {
  out.error = 'watchdog: kafkajs did not finish within 30s'
  process.stdout.write(JSON.stringify(out) + '\n')
  process.exit(2)
}, 30000)

main()
  .catch((e) => { out.error = `${e.name}: ${e.message}` })
  .finally(() => {
    clearTimeout(watchdog)
    process.stdout.write(JSON.stringify(out) + '\n')
  })
