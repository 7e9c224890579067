// Plays the kubelets of a cloud cluster on the fake kube-apiserver, for tests that replace instances (rolling-update,
// upgrade cluster): the fake's nodes first take the names of the instances the cloud runs (adoptInstances), then a
// poller registers a Ready Node for every instance that boots later — once per instance, as a kubelet registers once
// when it starts (a Node deleted before its instance is terminated stays gone). A control plane also gets kubeadm's
// static pods, as its kubelet starts them. The instances come from the cloud itself (moto, the GCE fake), never
// through the provider under test.

import type { FakeClusterState, KubeObject } from '../fakes/kube-apiserver.js';

/** One instance as the cloud reports it. */
export interface BootedInstance {
  /** The instance's identity: a recreated instance under the same name is a new one (GCE). */
  key: string;
  /** The Node name its kubelet registers (AWS: the private DNS name; GCE: the instance name). */
  node: string;
  /** Its node group (`k8sup.io/node-group`). */
  group: string;
  /** Whether it has booted (e.g. GCE RUNNING); default true. */
  running?: boolean;
  /** Labels the kubelet adds (e.g. node.kubernetes.io/instance-type). */
  labels?: Record<string, string>;
}

export interface KubeletPlayerOptions<I extends BootedInstance> {
  state: FakeClusterState;
  /** The Node of each group new Nodes are copied from (adoptInstances returns them). */
  templates: Map<string, KubeObject>;
  /** The cluster's instances now. */
  instances: () => I[] | Promise<I[]>;
  /** Instance keys that have booted already (their Nodes exist). */
  booted: Iterable<string>;
  /** The kubelet version the instance's bootstrap installs ('1.35.1'); default: the template's. */
  version?: (i: I) => Promise<string | undefined> | string | undefined;
  /**
   * Runs before the Node is registered (e.g. the instance's bootstrap); throwing leaves the instance unregistered
   * and the error in `errors`.
   */
  boot?: (i: I) => Promise<void> | void;
  /** After each registration (with the registered Node). */
  onRegister?: (i: I, node: KubeObject) => void;
  intervalMs?: number;
}

export interface KubeletPlayer {
  /** Node names in the order they registered. */
  readonly registered: string[];
  /** What went wrong in a boot (other than the cloud going away under the last poll). */
  readonly errors: Error[];
  stop(): void;
}

/**
 * The fake's nodes of each group renamed to the group's instances (in the order given); pods follow their node.
 * Returns each group's first Node as the template of the Nodes its new instances register.
 */
export function adoptInstances(state: FakeClusterState, live: readonly BootedInstance[]): Map<string, KubeObject> {
  const templates = new Map<string, KubeObject>();
  for (const group of new Set(state.nodes.map((n) => n.metadata.labels['k8sup.io/node-group']))) {
    const names = state.nodesInGroup(group);
    const members = live.filter((i) => i.group === group);
    if (members.length !== names.length) throw new Error(`group ${group}: ${members.length} instances for ${names.length} nodes`);
    names.forEach((old, k) => {
      const name = members[k].node;
      state.modify('nodes', state.node(old), (n) => {
        n.metadata.name = name;
        n.metadata.labels['kubernetes.io/hostname'] = name;
      });
      for (const pod of state.pods.filter((p) => p.spec.nodeName === old)) state.modify('pods', pod, (p) => (p.spec.nodeName = name));
    });
    templates.set(group, structuredClone(state.node(members[0].node)));
  }
  return templates;
}

/** Starts the poller (bounded: call stop(), or it is stopped with the test process). */
export function playKubelets<I extends BootedInstance>(o: KubeletPlayerOptions<I>): KubeletPlayer {
  const { state, templates } = o;
  // kubeadm names a static pod `<component>-<node>`: the copies are renamed after their new node.
  const templateCp = templates.get('control-plane')?.metadata.name;
  const staticPods = state.pods.filter((p) => p.spec.nodeName === templateCp && p.metadata.labels?.tier === 'control-plane').map((p) => structuredClone(p));
  const booted = new Set(o.booted);
  const registered: string[] = [];
  const errors: Error[] = [];
  let busy = false;
  let stopped = false;
  const register = async (i: I) => {
    await o.boot?.(i);
    const node = structuredClone(templates.get(i.group)!);
    node.metadata = { name: i.node, labels: { ...node.metadata.labels, 'kubernetes.io/hostname': i.node, ...i.labels }, annotations: node.metadata.annotations };
    const version = await o.version?.(i);
    if (version) {
      node.status.nodeInfo.kubeletVersion = `v${version}`;
      node.status.nodeInfo.kubeProxyVersion = `v${version}`;
    }
    state.add('nodes', node);
    registered.push(i.node);
    if (i.group === 'control-plane') {
      for (const pod of staticPods) {
        const copy = structuredClone(pod);
        copy.metadata.name = `${copy.metadata.labels.component}-${i.node}`;
        delete copy.metadata.uid;
        delete copy.metadata.resourceVersion;
        copy.spec.nodeName = i.node;
        state.add('pods', copy);
      }
    }
    o.onRegister?.(i, node);
  };
  const poll = async () => {
    let live: I[];
    try {
      live = await o.instances();
    } catch {
      return; // the cloud stopping under a last in-flight poll (after()): nothing left to register.
    }
    for (const i of live) {
      if (stopped) return;
      if (booted.has(i.key) || i.running === false || !templates.has(i.group)) continue;
      // The previous instance of that name still has its Node (GCE recreates under the same name): not yet.
      if (state.nodes.some((n) => n.metadata.name === i.node)) continue;
      booted.add(i.key);
      try {
        await register(i);
      } catch (e) {
        errors.push(e as Error);
      }
    }
  };
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      await poll();
    } finally {
      busy = false;
    }
  }, o.intervalMs ?? 250);
  return {
    registered,
    errors,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
