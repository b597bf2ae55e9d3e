import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { missingSdkInternals } from "../tools/pulumiSdkInternals";

describe("the Pulumi SDK internals the offline render relies on", () => {
    it("are all present in the installed @pulumi/pulumi", () => {
        assert.deepEqual(missingSdkInternals(), []);
    });

    it("a removed one is named (so an SDK upgrade that drops it fails here, not silently in a render)", () => {
        const proto = RegisterResourceRequest.prototype as unknown as Record<string, unknown>;
        const saved = proto["getTransformsList"];
        delete proto["getTransformsList"];
        try {
            assert.deepEqual(missingSdkInternals(), ["RegisterResourceRequest.getTransformsList"]);
        } finally {
            proto["getTransformsList"] = saved;
        }
        assert.deepEqual(missingSdkInternals(), []);
    });
});
