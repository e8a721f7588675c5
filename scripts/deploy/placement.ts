// Checks where the scheduler put a release's pods on the test cluster (scripts/deploy/cluster.sh),
// from `kubectl get pods,nodes -o json`: every pod that asks for a GPU runs on a node of its pool
// that has that GPU resource, every other pod stays off GPU nodes, and with --pending, the pods
// named by a component label are Pending because no node has the GPUs they ask for.
//
//   node placement.ts <pods+nodes.json> [--gpu-components a,b] [--pending component]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface Container {
  name: string
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
}
interface Pod {
  kind: 'Pod'
  metadata: { name: string; labels?: Record<string, string> }
  spec: { nodeName?: string; nodeSelector?: Record<string, string>; containers: Container[] }
  status: {
    phase: string
    conditions?: { type: string; status: string; reason?: string; message?: string }[]
  }
}
interface Node {
  kind: 'Node'
  metadata: { name: string; labels?: Record<string, string> }
  status: { allocatable?: Record<string, string> }
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'gpu-components': { type: 'string' }, pending: { type: 'string' } },
})
const [path] = positionals
if (!path)
  throw new Error('usage: placement.ts <pods+nodes.json> [--gpu-components a,b] [--pending component]')
const items = (JSON.parse(readFileSync(path, 'utf8')) as { items: (Pod | Node)[] }).items
const pods = items.filter((i): i is Pod => i.kind === 'Pod')
const nodes = new Map(items.filter((i): i is Node => i.kind === 'Node').map((n) => [n.metadata.name, n]))

const component = (pod: Pod) => pod.metadata.labels?.['app.kubernetes.io/component'] ?? ''
// GPU resources are extended resources: nvidia.com/gpu, or a MIG slice nvidia.com/mig-*.
const isGpuResource = (name: string) => name.startsWith('nvidia.com/')
const gpuAsks = (pod: Pod) => {
  const asks = new Map<string, number>()
  for (const c of pod.spec.containers) {
    for (const [name, qty] of Object.entries({ ...c.resources?.requests, ...c.resources?.limits })) {
      if (isGpuResource(name)) asks.set(name, (asks.get(name) ?? 0) + Number(qty))
    }
  }
  return asks
}
const isGpuNode = (node: Node) => Object.keys(node.status.allocatable ?? {}).some(isGpuResource)

const failures: string[] = []
const placed: string[] = []
for (const pod of pods) {
  const name = `${component(pod) || '?'}/${pod.metadata.name}`
  if (component(pod) === values.pending) continue
  const node = pod.spec.nodeName ? nodes.get(pod.spec.nodeName) : undefined
  if (!node) {
    if (pod.status.phase !== 'Succeeded') failures.push(`${name} is not scheduled (${pod.status.phase})`)
    continue
  }
  const asks = gpuAsks(pod)
  if (asks.size === 0) {
    if (isGpuNode(node)) failures.push(`${name} asks for no GPU but runs on GPU node ${node.metadata.name}`)
    continue
  }
  for (const [resource, count] of asks) {
    const has = Number(node.status.allocatable?.[resource] ?? 0)
    if (has < count)
      failures.push(`${name} asks for ${count} ${resource}; node ${node.metadata.name} has ${has}`)
  }
  const selector = pod.spec.nodeSelector ?? {}
  if (Object.keys(selector).length === 0)
    failures.push(`${name} asks for GPUs without a nodeSelector (its pool)`)
  for (const [key, value] of Object.entries(selector)) {
    if (node.metadata.labels?.[key] !== value) {
      failures.push(
        `${name} selects ${key}=${value} but runs on ${node.metadata.name} (${key}=${node.metadata.labels?.[key]})`,
      )
    }
  }
  placed.push(`${name} on ${node.metadata.name} (${[...asks].map(([r, n]) => `${n} ${r}`).join(', ')})`)
}

for (const wanted of values['gpu-components']?.split(',').filter(Boolean) ?? []) {
  if (!pods.some((p) => component(p) === wanted && p.spec.nodeName && gpuAsks(p).size > 0)) {
    failures.push(`no pod of ${wanted} was placed on a GPU node`)
  }
}

if (values.pending) {
  const pending = pods.filter((p) => component(p) === values.pending)
  if (pending.length === 0) failures.push(`no pod of ${values.pending} exists`)
  for (const pod of pending) {
    const scheduled = pod.status.conditions?.find((c) => c.type === 'PodScheduled')
    const gpuShort = [...gpuAsks(pod).keys()].some((r) => scheduled?.message?.includes(`Insufficient ${r}`))
    if (
      pod.spec.nodeName ||
      pod.status.phase !== 'Pending' ||
      scheduled?.reason !== 'Unschedulable' ||
      !gpuShort
    ) {
      failures.push(
        `${pod.metadata.name} should be Pending for want of GPUs: ${pod.status.phase}, ${scheduled?.message ?? 'no PodScheduled condition'}`,
      )
    } else {
      placed.push(`${values.pending}/${pod.metadata.name} Pending: ${scheduled.message}`)
    }
  }
}

for (const line of placed) console.log(`  ${line}`)
if (failures.length > 0) {
  for (const f of failures) console.error(`placement: ${f}`)
  process.exit(1)
}
