import { guardUrns } from "./guard";

guardUrns("prod");
