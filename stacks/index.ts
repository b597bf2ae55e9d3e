// Entry point of every stack (Pulumi.yaml `main`). Pulumi awaits the exported function; its result becomes
// the stack outputs.
import { main } from "./program";

export = main;
