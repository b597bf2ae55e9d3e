/** Every policy of the inferstack pack, in the order of the policy table in docs/policies.md. */
import type { Policies, ResourceValidationPolicy } from "@pulumi/policy";
import { clusterPolicies } from "./clusters";
import { withConfigDefaults } from "./configDefaults";
import { dataPolicies, noPlaintextCredentials } from "./data";
import { exemptionsReport, withExemptions } from "./exemptions";
import { platformPolicies } from "./platform";
import { servingPolicies } from "./serving";
import { stackPolicies } from "./stack";
import { workloadPolicies } from "./workloads";

/** The policies a reviewed exemption (pack config `exemptions`) may waive for a named workload: those on pods and ConfigMaps. */
export const exemptablePolicies: string[] = [...workloadPolicies, noPlaintextCredentials].map((p) => p.name);

const exemptable = (p: Policies[number]) => (exemptablePolicies.includes(p.name) ? withExemptions(p as ResourceValidationPolicy) : p);

export const policies: Policies = [...servingPolicies, ...workloadPolicies, ...dataPolicies, ...clusterPolicies, ...platformPolicies, ...stackPolicies, exemptionsReport]
    .map(exemptable)
    .map(withConfigDefaults);
