/**
 * The inferstack CrossGuard policy pack. Run it on every preview:
 *
 *     pulumi preview --stack prod --policy-pack policies --policy-pack-config policies/config/prod.json
 *
 * The same policies run offline on a render with `npm run policy -- --stack <name>` (policies/offline.ts).
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("inferstack", {
    description: "Guardrails for the inferstack serverless inference platform: serving, workloads, data, clusters.",
    enforcementLevel: "mandatory",
    policies,
});
