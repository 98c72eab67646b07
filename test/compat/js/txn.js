// kafkajs 2.2.4 transactions for Strom's compat suite (see ../txn_test.go).
//
// Usage: node txn.js BOOTSTRAP OUT_TOPIC IN_TOPIC GROUP
// As one transactional producer: sends c0..c2 to partition 0 of OUT_TOPIC
// with offset 3 of IN_TOPIC for GROUP (sendOffsets) and commits; sends a0,
// a1 with offset 99 and aborts; sends c3 and commits. Then a read_committed
// kafkajs consumer (its default) reads OUT_TOPIC from the start. Prints one
// JSON object: {version, commit, abort, commit2, consume, error}.
'use strict'

const { newKafka, newOutput } = require('./common')

const [bootstrap, outTopic, inTopic, group] = process.argv.slice(2)
const { out, step } = newOutput()
const kafka = newKafka('strom-compat-txn', bootstrap)

const messages = (names) => names.map((value) => ({ value, partition: 0 }))
const offsets = (offset) => ({ consumerGroupId: group, topics: [{ topic: inTopic, partitions: [{ partition: 0, offset }] }] })

async function transaction (producer, names, offset, commit) {
  const txn = await producer.transaction()
  try {
    await txn.send({ topic: outTopic, messages: messages(names) })
    if (offset !== null) await txn.sendOffsets(offsets(offset))
  } catch (e) {
    await txn.abort()
    throw e
  }
  return commit ? txn.commit() : txn.abort()
}

// consume reads until want values arrived or 15 s passed, and returns
// what it saw in order.
async function consume (want) {
  const consumer = kafka.consumer({ groupId: `${group}-reader`, maxWaitTimeInMs: 200 })
  const seen = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: outTopic, fromBeginning: true })
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, 15000)
      consumer.run({
        eachMessage: async ({ message }) => {
          seen.push({ offset: Number(message.offset), value: message.value.toString() })
          if (seen.length >= want) { clearTimeout(timer); resolve() }
        },
      }).catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return seen
}

async function main () {
  const producer = kafka.producer({ transactionalId: 'strom-compat-kafkajs', maxInFlightRequests: 1, idempotent: true })
  await producer.connect()
  try {
    await step('commit', () => transaction(producer, ['c0', 'c1', 'c2'], '3', true))
    await step('abort', () => transaction(producer, ['a0', 'a1'], '99', false))
    await step('commit2', () => transaction(producer, ['c3'], null, true))
  } finally {
    await producer.disconnect()
  }
  await step('consume', () => consume(4))
}

const watchdog = setTimeout(() => {
  out.error = 'watchdog: kafkajs did not finish within 45s'
  process.stdout.write(JSON.stringify(out) + '\n')
  process.exit(2)
}, 45000)

main()
  .catch((e) => { out.error = `${e.name}: ${e.message}` })
  .finally(() => {
    clearTimeout(watchdog)
    process.stdout.write(JSON.stringify(out) + '\n')
  })
