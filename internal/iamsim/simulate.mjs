// Reads a JSON array of simulations (@cloud-copilot/iam-simulate's Simulation
// shape) on stdin and writes one result per simulation on stdout:
// {"result": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied", "errors": ...}.
// Used by the Go tests only; the simulator is an AGPL-3.0 dev dependency and
// is never part of what this project deploys.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const simulations = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const results = []
for (const simulation of simulations) {
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    results.push({ result: 'Error', errors: response.errors })
  } else {
    results.push({ result: response.overallResult })
  }
}
process.stdout.write(JSON.stringify(results))
