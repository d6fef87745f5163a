// What one config area declares (config/<area>.ts, mirroring components/<area>/). The registry (config/areas.ts)
// assembles the root schema, the known keys, the secret keys and the cross-checks from these declarations, so adding
// an area is one module here and one line there.
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";

/** The parsed value of a set of top-level keys (optional keys stay optional). */
export type Parsed<Keys extends z.ZodRawShape> = z.output<z.ZodObject<Keys>>;

/** A secret top-level key: declared once by its area, read as a Pulumi secret, never printed. */
export interface SecretKey {
  /** What the value is, for Pulumi.yaml and error messages. */
  description: string;
  /** A syntactically valid stand-in: the offline plan uses it when a stack does not set the key. */
  example: string;
  /** Why a value is malformed, in words that never include the value; undefined when it is fine. */
  readonly check: (value: string) => string | undefined;
}

/** What cross-checks receive besides the parsed config. */
export interface CheckContext {
  /** The full name of a key path: "istio.version" -> "aks-mesh:istio.version". */
  readonly key: (path: string) => string;
  /** The day AKS must offer a created cluster's Kubernetes version ("YYYY-MM-DD"). */
  today: string;
}

/** An entry of meshConfig.extensionProviders (MeshConfig.ExtensionProvider; e.g. observability's tracing back end). */
export interface MeshExtensionProvider {
  name: string;
  opentelemetry?: { service: string; port: number };
  zipkin?: { service: string; port: number; maxTagLength?: number };
}

/**
 * meshConfig fields the areas contribute to istiod (each area's `meshConfig`), folded together into the resolved
 * `istio` section: the control plane reads only its own section, and hands the result on in its handle.
 */
export interface MeshConfigContributions {
  /** meshConfig.extensionProviders. Empty when no area contributes one. */
  readonly extensionProviders: readonly MeshExtensionProvider[];
  /**
   * istiod's environment (chart value pilot.env), e.g. the security area's PILOT_JWT_ENABLE_REMOTE_JWKS. Not meshConfig
   * proper, but istiod configuration an area asks for the same way. Empty when no area contributes any.
   */
  readonly istiodEnv: Readonly<Record<string, string>>;
}

/** What resolution receives besides the parsed config. */
export interface ResolveContext {
  project: string;
  stack: string;
  /** Every secret key the stack sets, as a Pulumi secret Output (its format already checked). */
  secrets: Readonly<Record<string, pulumi.Output<string>>>;
  /** Every area's meshConfig contribution, folded together (the istio area resolves it into config.istio). */
  meshConfig: MeshConfigContributions;
}

/**
 * One area of the configuration. `In` is what the area reads of the parsed root (its own keys and any other area's it
 * relates to); `Out` is its part of the validated `MeshConfig`.
 */
export interface ConfigArea<Keys extends z.ZodRawShape, In, Out> {
  /** Its top-level keys (`aks-mesh:<key>`) and their schemas, with `.describe()` on every field. */
  readonly keys: Keys;
  /** Its secret keys (`aks-mesh:<key>`), validated apart so no message can ever print their value. */
  readonly secrets?: Readonly<Record<string, SecretKey>>;
  /**
   * The secret keys the parsed config needs: key -> the problem when it is missing ("is required when ..."). Checked
   * with the schema, before the cross-checks.
   */
  readonly requiredSecrets?: (root: In) => Readonly<Record<string, string>>;
  /**
   * Problems of a retired form of its keys that the schema no longer describes, each saying exactly what to write
   * instead. Reads the raw values before the schema does, and takes out what it reported, so the schema does not
   * report it a second time as an unknown key.
   */
  readonly refuseRetired?: (values: Record<string, unknown>, key: (path: string) => string) => string[];
  /** Rules between its keys and other areas' keys, once every key parsed; each message names the key to change. */
  readonly crossChecks?: (root: In, ctx: CheckContext) => string[];
  /** What it adds to istiod's meshConfig (e.g. a tracing provider), from a valid config. */
  readonly meshConfig?: (root: In) => Partial<MeshConfigContributions>;
  /** Its part of the validated config: the parsed values with derived ones filled in. Runs only on a valid config. */
  readonly resolve: (root: In, ctx: ResolveContext) => Out;
}
