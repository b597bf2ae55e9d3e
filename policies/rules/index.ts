/** Every policy of the inferstack pack, in the order of the README's policy table. */
import type { Policies } from "@pulumi/policy";
import { clusterPolicies } from "./clusters";
import { withConfigDefaults } from "./configDefaults";
import { dataPolicies } from "./data";
import { servingPolicies } from "./serving";
import { stackPolicies } from "./stack";
import { workloadPolicies } from "./workloads";

export const policies: Policies = [...servingPolicies, ...workloadPolicies, ...dataPolicies, ...clusterPolicies, ...stackPolicies].map(withConfigDefaults);
