// ESLint (flat config): typescript-eslint's recommended rules plus Pulumi's Output-in-template-literal checks,
// which need type information.
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    // policies/bin is the policy pack's compiled entry point (npm --prefix policies run build), not source; the
    // services (services/<name>/, each with its own tsconfig.json, which the project service finds) are linted
    // like the rest, their own dependencies and builds left out.
    { ignores: ["**/node_modules/**", "out/**", "**/dist/**", "policies/bin/**", "**/*.mjs"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
        },
    },
    {
        // Tests poke at rendered JSON, where `any` is the honest type.
        files: ["test/**/*.ts", "services/*/test/**/*.ts"],
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
