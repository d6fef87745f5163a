import { AREAS, CONFIG_KEYS } from "../../config/areas";

test("gives every top-level key to exactly one area (a second area would silently replace its schema)", () => {
  const keys = AREAS.flatMap((a) => [...Object.keys(a.keys), ...Object.keys(a.secrets ?? {})]);
  expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  expect([...keys].sort()).toEqual([...CONFIG_KEYS].sort());
});
