// Shared by the kafkajs scenario scripts: a client configured for a local
// broker under test (bounded timeouts and retries, kafkajs's log as JSON
// lines on stderr) and the step runner that records each step's outcome in
// the JSON object the Go side reads from stdout.
'use strict'

const { Kafka, logLevel } = require('kafkajs')

function newKafka (clientId, bootstrap) {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log }) =>
      process.stderr.write(JSON.stringify({ namespace, level, ...log }) + '\n'),
  })
}

// newOutput starts the result object; step(name, fn) runs fn and records
// {ok, result} or {ok: false, error} under name.
function newOutput () {
  const out = { version: require('kafkajs/package.json').version }
  async function step (name, fn) {
    try {
      out[name] = { ok: true, result: await fn() }
    } catch (e) {
      out[name] = { ok: false, error: `${e.name}: ${e.message}` }
    }
  }
  return { out, step }
}

module.exports = { newKafka, newOutput }
