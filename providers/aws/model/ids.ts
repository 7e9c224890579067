// Graph ids of the AWS model. Stable across runs: they are stored in the k8sup.io/id tag and map live → desired.

export const VPC = 'vpc';
export const INTERNET_GATEWAY = 'internet-gateway';
export const ROUTE_TABLE = 'route-table';
export const KEY_PAIR = 'key-pair';
export const LOAD_BALANCER = 'load-balancer/api';
export const TARGET_GROUP = 'target-group/api';
export const LISTENER = 'listener/api';
export const DNS_RECORD = 'dns-record/api';
/** The internal NLB every node and joiner uses (the public one above is for admins only; see loadbalancer.ts). */
export const INTERNAL_LOAD_BALANCER = 'load-balancer/api-internal';
export const INTERNAL_TARGET_GROUP = 'target-group/api-internal';
export const INTERNAL_LISTENER = 'listener/api-internal';

export type Role = 'control-plane' | 'nodes';
/** The subnet a zone's instances are in (public topology: the zone's only subnet; private: its private subnet). */
export const subnetId = (zone: string) => `subnet/${zone}`;
/** private topology: the zone's public ("utility") subnet, for NAT gateways, internet-facing load balancers, the bastion. */
export const utilitySubnetId = (zone: string) => `subnet/${zone}/utility`;
/** private topology: NAT gateways and their Elastic IPs, one per zone (or one, `single`, in the first zone). */
export const natGatewayId = (key: string) => `nat-gateway/${key}`;
export const natAddressId = (key: string) => `elastic-ip/nat/${key}`;
/** private topology: the zone's private route table (0.0.0.0/0 → its NAT gateway). */
export const privateRouteTableId = (zone: string) => `route-table/private/${zone}`;
/** An existing VPC or subnet the cluster uses: the `kubernetes.io/cluster/<name>=shared` tag k8sup adds (and removes). */
export const sharedTagId = (what: string) => `shared-tag/${what}`;
export const BASTION_SECURITY_GROUP = 'security-group/bastion';
export const BASTION_SECURITY_GROUP_RULES = 'security-group-rules/bastion';
export const BASTION_LAUNCH_TEMPLATE = 'launch-template/bastion';
export const BASTION_GROUP = 'autoscaling-group/bastion';
export const securityGroupId = (role: Role) => `security-group/${role}`;
export const securityGroupRulesId = (role: Role) => `security-group-rules/${role}`;
export const iamRoleId = (role: Role) => `iam-role/${role}`;
export const instanceProfileId = (role: Role) => `instance-profile/${role}`;
export const controlPlaneLaunchTemplateId = (zone: string) => `launch-template/control-plane/${zone}`;
export const nodeGroupLaunchTemplateId = (group: string) => `launch-template/node-group/${group}`;
export const controlPlaneGroupId = (zone: string) => `autoscaling-group/control-plane/${zone}`;
export const nodeGroupId = (group: string) => `autoscaling-group/node-group/${group}`;
