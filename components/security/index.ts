export { Security, type SecurityArgs } from "./security";
