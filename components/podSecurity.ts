/**
 * The container security context every inferstack-owned workload runs with: the Kubernetes "restricted"
 * Pod Security Standard, which the policy pack also enforces.
 */
export const restrictedSecurityContext = {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};
