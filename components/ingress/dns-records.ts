import * as azureDns from "@pulumi/azure-native/dns";
import * as pulumi from "@pulumi/pulumi";
import { hostSlug } from "../shared";

export interface DnsRecordsArgs {
  /** Azure DNS zone (config staticIp.dns.zoneName). */
  zoneName: string;
  /** Resource group of the zone (config staticIp.dns.resourceGroup). */
  resourceGroupName: string;
  /** Record TTL in seconds (config staticIp.dns.ttl). */
  ttl: number;
  /** Hosts to publish; each must be the zone apex or inside the zone (checked by the config module). */
  hosts: string[];
  /** The address every record points at: the ingress IP. */
  address: pulumi.Input<string>;
}

/** The record name of a host inside a zone: "@" for the apex, otherwise the labels before the zone. */
export function relativeRecordName(host: string, zone: string): string {
  if (host === zone) return "@";
  if (!host.endsWith(`.${zone}`)) throw new Error(`host ${host} is not in DNS zone ${zone}`);
  return host.slice(0, -(zone.length + 1));
}

/** One A record per mesh host in an Azure DNS zone, all pointing at the ingress IP. */
export class DnsRecords extends pulumi.ComponentResource {
  /** FQDN -> record set. */
  readonly records: Record<string, azureDns.RecordSet> = {};

  constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:ingress:DnsRecords", name, {}, opts);
    for (const host of [...new Set(args.hosts)]) {
      this.records[host] = new azureDns.RecordSet(
        `${name}-${hostSlug(host)}`,
        {
          zoneName: args.zoneName,
          resourceGroupName: args.resourceGroupName,
          relativeRecordSetName: relativeRecordName(host, args.zoneName),
          recordType: "A",
          ttl: args.ttl,
          aRecords: [{ ipv4Address: args.address }],
        },
        { parent: this },
      );
    }
    this.registerOutputs({ hosts: Object.keys(this.records) });
  }
}
