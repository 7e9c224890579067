// Examples shown at the end of every command's --help (with the global options, which commander lists too).
// Keyed by the command words; every command that runs something has two or three.

import type { Command } from 'commander';

export const EXAMPLES: Record<string, string[]> = {
  '': ['k8sup create cluster demo.k8s.local --zones us-east-2a --state s3://my-state', 'k8sup update cluster demo.k8s.local --yes', 'k8sup get clusters -o json'],
  version: ['k8sup version'],
  create: ['k8sup create -f cluster.yaml', 'k8sup create -f cluster.yaml --yes --admin', 'k8sup create cluster demo.k8s.local --zones us-east-2a'],
  'create cluster': [
    'k8sup create cluster demo.k8s.local --zones us-east-2a --ssh-public-key ~/.ssh/id_ed25519.pub',
    'k8sup create cluster demo.k8s.local --zones us-central1-b --project my-project --state gs://my-state --yes --admin',
    'k8sup create cluster lab.k8s.local --cloud metal --hosts hosts.yaml --yes',
  ],
  'create secret registry': [
    'printf %s "$PASSWORD" | k8sup create secret registry corp --name demo.k8s.local --registry registry.corp.example:5000 --username robot --password-stdin',
    'k8sup create secret registry corp --name demo.k8s.local --registry registry.corp.example:5000 --docker-config ~/.docker/config.json',
  ],
  replace: ['k8sup get cluster demo.k8s.local -o yaml > cluster.yaml && $EDITOR cluster.yaml', 'k8sup replace -f cluster.yaml && k8sup update cluster demo.k8s.local'],
  get: ['k8sup get clusters', 'k8sup get cluster demo.k8s.local -o yaml'],
  'get clusters': ['k8sup get clusters', 'k8sup get clusters -o json --state s3://my-state'],
  'get cluster': ['k8sup get cluster demo.k8s.local -o yaml', 'k8sup get cluster demo.k8s.local -o json | jq .spec.networking'],
  'get assets': ['k8sup get assets demo.k8s.local', "k8sup get assets demo.k8s.local -o json | jq -r '.images[].image'"],
  'get backups': ['k8sup get backups demo.k8s.local', 'k8sup get backups demo.k8s.local -o json | jq -r .backups[-1].id'],
  backup: ['k8sup backup cluster lab.k8s.local', 'k8sup get backups lab.k8s.local'],
  'backup cluster': ['k8sup backup cluster lab.k8s.local            # bare metal: snapshot etcd over SSH into the state store', 'k8sup backup cluster lab.k8s.local -o json | jq -r .backup.id'],
  restore: ['k8sup restore cluster lab.k8s.local --backup 20261201T130000Z', 'k8sup restore cluster lab.k8s.local --backup 20261201T130000Z --yes'],
  'restore cluster': [
    'k8sup restore cluster lab.k8s.local --backup 20261201T130000Z          # check the backup, show the steps',
    'k8sup restore cluster lab.k8s.local --backup 20261201T130000Z --yes    # restore every control plane',
  ],
  toolbox: ['k8sup toolbox dump demo.k8s.local > dump.yaml'],
  'toolbox dump': [
    'k8sup toolbox dump demo.k8s.local > dump.yaml            # attach to a support ticket (secrets redacted)',
    'k8sup toolbox dump demo.k8s.local -o json | jq \'.kubernetes.events[] | select(.type == "Warning")\'',
    'k8sup toolbox dump demo.k8s.local --events-since 24h --kubeconfig ~/.kube/config',
  ],
  edit: ['k8sup edit cluster demo.k8s.local', 'EDITOR=nano k8sup edit cluster demo.k8s.local'],
  'edit cluster': ['k8sup edit cluster demo.k8s.local', 'EDITOR=nano k8sup edit cluster demo.k8s.local'],
  update: ['k8sup update cluster demo.k8s.local', 'k8sup update cluster demo.k8s.local --yes --admin'],
  'update cluster': [
    'k8sup update cluster demo.k8s.local                     # review the plan',
    'k8sup update cluster demo.k8s.local --out-plan plan.json && k8sup update cluster demo.k8s.local --plan plan.json --yes',
    'k8sup update cluster demo.k8s.local --yes --admin=8h    # apply, then write the kubeconfig context',
  ],
  validate: ['k8sup validate cluster demo.k8s.local --wait 10m'],
  'validate cluster': ['k8sup validate cluster demo.k8s.local', 'k8sup validate cluster demo.k8s.local --wait 10m --count 3 -o json'],
  delete: ['k8sup delete cluster demo.k8s.local', 'k8sup delete cluster demo.k8s.local --yes'],
  'delete cluster': ['k8sup delete cluster demo.k8s.local               # list what would be deleted', 'k8sup delete cluster demo.k8s.local --yes         # delete it, its state and its kubeconfig context'],
  'rolling-update': ['k8sup rolling-update cluster demo.k8s.local --yes'],
  'rolling-update cluster': ['k8sup rolling-update cluster demo.k8s.local', 'k8sup rolling-update cluster demo.k8s.local --instance-group nodes --yes'],
  upgrade: ['k8sup upgrade cluster demo.k8s.local --kubernetes-version 1.35.1'],
  'upgrade cluster': ['k8sup upgrade cluster demo.k8s.local --kubernetes-version 1.35.1', 'k8sup upgrade cluster demo.k8s.local --kubernetes-version 1.35.1 --yes'],
  export: ['k8sup export kubeconfig demo.k8s.local'],
  'export kubeconfig': ['k8sup export kubeconfig demo.k8s.local', 'k8sup export kubeconfig demo.k8s.local --admin 1h --kubeconfig ./demo.kubeconfig'],
  history: ['k8sup history cluster demo.k8s.local'],
  'history cluster': ['k8sup history cluster demo.k8s.local', 'k8sup history cluster demo.k8s.local -o json'],
  rollback: ['k8sup rollback cluster demo.k8s.local --revision 3'],
  'rollback cluster': ['k8sup rollback cluster demo.k8s.local --revision 3', 'k8sup rollback cluster demo.k8s.local --revision 3 && k8sup update cluster demo.k8s.local --yes'],
  unlock: ['k8sup unlock cluster demo.k8s.local --lock-id 3f2a…'],
  'unlock cluster': ['k8sup unlock cluster demo.k8s.local --lock-id 3f2a…', 'k8sup unlock cluster demo.k8s.local --lock-id 3f2a… --yes'],
  completion: ['source <(k8sup completion bash)          # bash, e.g. in ~/.bashrc', 'source <(k8sup completion zsh)           # zsh, e.g. in ~/.zshrc', 'k8sup completion fish | source           # fish'],
};

/** Adds an Examples section to every command that has examples (the whole tree, recursively). */
export function addExamples(cmd: Command, path: string[] = []): void {
  const examples = EXAMPLES[path.join(' ')];
  if (examples) cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  for (const c of cmd.commands) addExamples(c, [...path, c.name()]);
}
