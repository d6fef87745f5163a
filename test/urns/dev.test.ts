import { guardUrns } from "./guard";

guardUrns("dev");
