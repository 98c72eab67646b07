// kafkajs 2.2.4 consumer-group scenarios for Strom's compat suite (see ../groups_kafkajs_test.go).
//
// Usage: node groups.js BOOTSTRAP TOPIC GROUP_PREFIX
// Creates TOPIC with 2 partitions, then runs three steps, each with groups of its own:
//   split:  two consumers join GROUP_PREFIX-split; once each holds one partition, 10
//           messages go to each partition; both read until all 20 arrived.
//   all:    one consumer of GROUP_PREFIX-all reads the 20 messages fromBeginning.
//   resume: a consumer of GROUP_PREFIX-resume (autoCommit off) reads the 20 messages,
//           commits offset 4 on partition 0 and 7 on partition 1, and leaves;
//           admin.fetchOffsets reads the commit back; a new consumer of the group
//           reads until 9 messages arrived.
// Prints one JSON object on stdout: {version, error, <step>: {ok, result, error}}.
// Messages are reported as "partition/offset value". kafkajs's log goes to stderr.
'use strict'

const { newKafka, newOutput } = require('./common')

const [bootstrap, topic, prefix] = process.argv.slice(2)
const { out, step } = newOutput()
const STEP_MS = 10000

const kafka = newKafka('strom-compat-groups', bootstrap)


// crashes collects every consumer crash (kafkajs restarts the consumer after one).
const crashes = []

// until polls cond every 25 ms and throws after ms, naming any consumer crash.
async function until (what, cond, ms = STEP_MS) {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}; consumer crashes: ${JSON.stringify(crashes)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

// member starts a consumer of groupId subscribed to topic from the beginning; it
// records the partitions of its latest join and every message it is handed.
async function member (groupId, autoCommit = true) {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 250,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  })
  const m = { consumer, assignment: null, messages: [] }
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    m.assignment = e.payload.memberAssignment[topic] || []
  })
  consumer.on(consumer.events.CRASH, (e) => {
    crashes.push(`${groupId}: ${e.payload.error.name}: ${e.payload.error.message}`)
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit,
    eachMessage: async ({ partition, message }) => {
      m.messages.push(`${partition}/${message.offset} ${message.value}`)
    },
  })
  return m
}

const report = (m) => ({ assignment: m.assignment, messages: m.messages })

async function main () {
  const admin = kafka.admin()
  const producer = kafka.producer()
  await admin.connect()
  await producer.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
  let produced = false
  const produce = async () => {
    if (produced) return
    produced = true
    for (const partition of [0, 1]) {
      const messages = Array.from({ length: 10 }, (_, i) => ({ partition, value: `p${partition}-${i}` }))
      await producer.send({ topic, acks: -1, messages })
    }
  }

  await step('split', async () => {
    const a = await member(`${prefix}-split`)
    const b = await member(`${prefix}-split`)
    try {
      const split = () => a.assignment && b.assignment && a.assignment.length === 1 &&
        b.assignment.length === 1 && a.assignment[0] !== b.assignment[0]
      await until('each member to hold one partition', split)
      await produce()
      await until('20 messages between the members', () => a.messages.length + b.messages.length >= 20)
      return { a: report(a), b: report(b) }
    } finally {
      await Promise.all([a.consumer.disconnect(), b.consumer.disconnect()])
    }
  })
  await produce() // in case split failed before producing

  await step('all', async () => {
    const c = await member(`${prefix}-all`)
    try {
      await until('20 messages', () => c.messages.length >= 20)
      return report(c)
    } finally {
      await c.consumer.disconnect()
    }
  })

  await step('resume', async () => {
    const groupId = `${prefix}-resume`
    const first = await member(groupId, false)
    try {
      await until('20 messages', () => first.messages.length >= 20)
      await first.consumer.commitOffsets([
        { topic, partition: 0, offset: '4' },
        { topic, partition: 1, offset: '7' },
      ])
    } finally {
      await first.consumer.disconnect()
    }
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] })
    const second = await member(groupId)
    try {
      await until('9 messages after the commit', () => second.messages.length >= 9)
      return { committed, first: report(first), second: report(second) }
    } finally {
      await second.consumer.disconnect()
    }
  })

  await producer.disconnect()
  await admin.disconnect()
}

const watchdog = setTimeout(() => {
  out.error = 'watchdog: kafkajs did not finish within 36s'
  process.stdout.write(JSON.stringify(out) + '\n')
  process.exit(2)
}, 36000)

main()
  .catch((e) => { out.error = `${e.name}: ${e.message}` })
  .finally(() => {
    clearTimeout(watchdog)
    process.stdout.write(JSON.stringify(out) + '\n')
    process.exit(0)
  })
