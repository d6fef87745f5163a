// The Job script that creates Kiali's Grafana user, run by the real sh and curl against a stand-in for the part of
// Grafana's HTTP API it calls (users lookup, admin create, admin password, org role; grafana.com/docs "User API",
// "Admin API", "Organization API"). It proves the script's own logic: create, then converge an existing user.
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ENSURE_VIEWER_SCRIPT } from "../../../components/observability/grafana-viewer";

const ADMIN = { user: "admin", password: "adminSecret1" };

interface User {
  id: number;
  login: string;
  password: string;
  role: string;
}

/** Grafana's answers for the four calls; every other request is a 404, a wrong admin login a 401. */
function fakeGrafana(users: User[]) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://grafana");
      requests.push(`${req.method} ${url.pathname}`);
      const send = (code: number, json: unknown) => {
        res.writeHead(code, { "Content-Type": "application/json" });
        res.end(JSON.stringify(json));
      };
      const expected = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString("base64")}`;
      if (req.headers.authorization !== expected) return send(401, { message: "Unauthorized" });
      const input = (body ? JSON.parse(body) : {}) as Record<string, string>;
      const byId = (id: string | undefined) => users.find((u) => u.id === Number(id));
      let m: RegExpMatchArray | null;
      if (req.method === "GET" && url.pathname === "/grafana/api/users/lookup") {
        const u = users.find((x) => x.login === url.searchParams.get("loginOrEmail"));
        return u ? send(200, { id: u.id, uid: `u${u.id}`, login: u.login, orgId: 1 }) : send(404, {});
      }
      if (req.method === "POST" && url.pathname === "/grafana/api/admin/users") {
        // A Grafana whose users.auto_assign_org_role is not Viewer: the script must set the role itself.
        const u = {
          id: Math.max(1, ...users.map((x) => x.id)) + 1,
          login: input.login!,
          password: input.password!,
          role: "Editor",
        };
        users.push(u);
        return send(200, { id: u.id, uid: `u${u.id}`, message: "User created" });
      }
      if (req.method === "PUT" && (m = url.pathname.match(/^\/grafana\/api\/admin\/users\/(\d+)\/password$/))) {
        const u = byId(m[1]);
        if (!u) return send(404, {});
        u.password = input.password!;
        return send(200, { message: "User password updated" });
      }
      if (req.method === "PATCH" && (m = url.pathname.match(/^\/grafana\/api\/org\/users\/(\d+)$/))) {
        const u = byId(m[1]);
        if (!u) return send(404, {});
        u.role = input.role!;
        return send(200, { message: "Organization user updated" });
      }
      return send(404, { message: "Not found" });
    });
  });
  return { server, requests };
}

async function runScript(port: number, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "/bin/sh",
      ["-c", ENSURE_VIEWER_SCRIPT],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          GRAFANA_URL: `http://127.0.0.1:${port}/grafana`,
          VIEWER_LOGIN: "kiali",
          ADMIN_USER: ADMIN.user,
          ADMIN_PASSWORD: ADMIN.password,
          ...env,
        },
      },
      (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    );
  });
}

async function withGrafana<T>(users: User[], fn: (port: number, requests: string[]) => Promise<T>): Promise<T> {
  const { server, requests } = fakeGrafana(users);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    return await fn((server.address() as AddressInfo).port, requests);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

test("creates the Kiali user with the generated password and the Viewer role", async () => {
  const users: User[] = [{ id: 1, login: "admin", password: ADMIN.password, role: "Admin" }];
  const result = await withGrafana(users, (port) => runScript(port, { VIEWER_PASSWORD: "generatedA" }));
  expect(result).toEqual({ code: 0, stderr: "" });
  expect(users.find((u) => u.login === "kiali")).toEqual({
    id: 2,
    login: "kiali",
    password: "generatedA",
    role: "Viewer",
  });
});

test("converges an existing user to the current password and back to Viewer, without creating another", async () => {
  const users: User[] = [
    { id: 1, login: "admin", password: ADMIN.password, role: "Admin" },
    { id: 7, login: "kiali", password: "old", role: "Admin" },
  ];
  const requests = await withGrafana(users, async (port, reqs) => {
    expect((await runScript(port, { VIEWER_PASSWORD: "generatedB" })).code).toBe(0);
    return reqs;
  });
  expect(users).toHaveLength(2);
  expect(users[1]).toEqual({ id: 7, login: "kiali", password: "generatedB", role: "Viewer" });
  expect(requests).not.toContain("POST /grafana/api/admin/users");
});

test("fails the Job, and says why, when Grafana refuses the admin login", async () => {
  const result = await withGrafana([], (port) =>
    runScript(port, { VIEWER_PASSWORD: "generatedC", ADMIN_PASSWORD: "wrong" }),
  );
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain("HTTP 401");
});
