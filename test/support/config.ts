// What config validation says of a stack: the problems a ConfigError lists, or none when the config is accepted.
import { ConfigError } from "../../config";

/** Runs `parse` (a parseConfig call) and returns the problems it was refused with; [] when it passed. */
export function configProblems(parse: () => unknown): string[] {
  try {
    parse();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}
