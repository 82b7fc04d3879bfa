using System.Collections.Immutable;

namespace Kuma.Policies.MeshPassthrough;

/// <summary>
/// What a match compares; the numbers rank them as Kuma does (a larger number is more specific and goes first).
/// </summary>
public enum MatchKind
{
    WildcardDomain = 1,
    Domain,
    Cidr,
    CidrV6,
    Ip,
    IpV6,
}

/// <summary>A virtual host of an HTTP filter chain that matches by domain.</summary>
public sealed record DomainRoute(string Value, MatchKind Kind);

/// <summary>
/// One filter chain of the passthrough listener: a protocol on a port (0: any) to an address, CIDR or domain. HTTP
/// flavours match domains by Host header, so all their domains on one port share one chain (empty
/// <see cref="Value"/>, one <see cref="Routes"/> entry per domain).
/// </summary>
public sealed record PassthroughChain(string Protocol, uint Port, MatchKind Kind, string Value, ImmutableArray<DomainRoute> Routes)
{
    public bool IsIpv6Only => Kind is MatchKind.IpV6 or MatchKind.CidrV6;
    public bool IsIpv4Only => Kind is MatchKind.Ip or MatchKind.Cidr;
}

/// <summary>Turns a merged <c>appendMatch</c> list into filter chains in the order Envoy should try them, as Kuma orders them.</summary>
public static class PassthroughMatches
{
    /// <summary>Kuma's rank of protocols; any other (mysql) ranks with tls.</summary>
    private static int ProtocolRank(string protocol) => protocol switch
    {
        "tcp" => 1,
        "http" => 2,
        "http2" => 3,
        "grpc" => 4,
        _ => 0,
    };

    /// <summary>
    /// The chains for these matches, or null when HTTP flavours meet on one port (each policy may be valid alone,
    /// their merge not: Envoy could not tell which chain a connection belongs to).
    /// </summary>
    public static ImmutableArray<PassthroughChain>? Ordered(IEnumerable<PassthroughMatch> matches)
    {
        var chains = new Dictionary<(string Protocol, uint Port, MatchKind Kind, string Value), HashSet<DomainRoute>>();
        var protocolsOnPort = new SortedDictionary<uint, HashSet<string>>();
        foreach (var match in matches)
        {
            var port = match.Port ?? 0;
            var protocol = match.Protocol ?? "tcp";
            var value = match.Value ?? "";
            var http = MeshPassthroughPolicy.HttpProtocols.Contains(protocol);
            var kind = KindOf(match.Type, value, http);
            (protocolsOnPort.TryGetValue(port, out var onPort) ? onPort : protocolsOnPort[port] = []).Add(protocol);
            if (http && kind == MatchKind.Domain)
            {
                var key = (protocol, port, kind, "");
                var routeKind = value.StartsWith('*') ? MatchKind.WildcardDomain : MatchKind.Domain;
                (chains.TryGetValue(key, out var routes) ? routes : chains[key] = []).Add(new DomainRoute(value, routeKind));
            }
            else
            {
                chains[(protocol, port, kind, value)] = [];
            }
        }
        if (protocolsOnPort.Values.Any(p => p.Count(MeshPassthroughPolicy.HttpProtocols.Contains) > 1)) return null;

        // Envoy picks the chains of the most specific port first and does not fall back to port-less ones when none
        // of those match, so a match for any port is repeated on every port some other match names.
        var expanded = new Dictionary<(string Protocol, uint Port, MatchKind Kind, string Value), HashSet<DomainRoute>>();
        void Add((string Protocol, uint Port, MatchKind Kind, string Value) key, HashSet<DomainRoute> routes)
        {
            if (expanded.TryGetValue(key, out var existing)) existing.UnionWith(routes);
            else expanded[key] = [.. routes];
        }
        foreach (var (key, routes) in chains)
        {
            Add(key, routes);
            if (key.Port != 0)
                continue;
            foreach (var port in protocolsOnPort.Keys.Where(p => p != 0)) Add(key with { Port = port }, routes);
        }

        var ordered = expanded
            .Select(e => new PassthroughChain(e.Key.Protocol, e.Key.Port, e.Key.Kind, e.Key.Value, [.. e.Value.Order(RouteOrder.Instance)]))
            .ToList();
        ordered.Sort(ChainOrder.Instance);
        return [.. ordered];
    }

    /// <summary>
    /// HTTP flavours keep domains (wildcards too) as kind Domain, to gather them into one chain per port; other
    /// protocols tell a wildcard domain apart. IPs and CIDRs are told apart by family.
    /// </summary>
    private static MatchKind KindOf(string? type, string value, bool http) => type switch
    {
        "Domain" when value.StartsWith('*') && !http => MatchKind.WildcardDomain,
        "Domain" => MatchKind.Domain,
        "IP" => AddressText.IsIpv6(value) ? MatchKind.IpV6 : MatchKind.Ip,
        _ => AddressText.IsIpv6(value.Split('/')[0]) ? MatchKind.CidrV6 : MatchKind.Cidr,
    };

    /// <summary>Domains with more labels first, then alphabetically.</summary>
    private static int CompareDomains(string a, string b)
    {
        var labels = b.Count(c => c == '.').CompareTo(a.Count(c => c == '.'));
        return labels != 0 ? labels : string.CompareOrdinal(a, b);
    }

    private sealed class RouteOrder : IComparer<DomainRoute>
    {
        public static readonly RouteOrder Instance = new();

        public int Compare(DomainRoute? x, DomainRoute? y)
        {
            if (x!.Kind != y!.Kind) return y.Kind.CompareTo(x.Kind);
            return CompareDomains(x.Value, y.Value);
        }
    }

    /// <summary>
    /// Kuma's order: protocol rank, then more specific kinds, higher ports (any port last), then by value (domains by
    /// label count, CIDRs by longer prefix then address descending, IPs descending), then chains with more domains.
    /// Kuma leaves the remaining ties in map order; the value decides them here, so the order is stable.
    /// </summary>
    private sealed class ChainOrder : IComparer<PassthroughChain>
    {
        public static readonly ChainOrder Instance = new();

        public int Compare(PassthroughChain? x, PassthroughChain? y)
        {
            int c;
            if ((c = ProtocolRank(x!.Protocol).CompareTo(ProtocolRank(y!.Protocol))) != 0) return c;
            if ((c = y.Kind.CompareTo(x.Kind)) != 0) return c;
            if ((c = y.Port.CompareTo(x.Port)) != 0) return c;
            c = x.Kind switch
            {
                MatchKind.Domain or MatchKind.WildcardDomain => CompareDomains(x.Value, y.Value),
                MatchKind.Cidr or MatchKind.CidrV6 => CompareCidrs(x.Value, y.Value),
                _ => string.CompareOrdinal(y.Value, x.Value),
            };
            if (c != 0) return c;
            if ((c = y.Routes.Length.CompareTo(x.Routes.Length)) != 0) return c;
            return string.CompareOrdinal(x.Protocol + " " + x.Value, y.Protocol + " " + y.Value);
        }

        private static int CompareCidrs(string a, string b)
        {
            var (ipA, prefixA) = AddressText.ParseCidr(a) ?? ("", 0);
            var (ipB, prefixB) = AddressText.ParseCidr(b) ?? ("", 0);
            return prefixA == prefixB ? string.CompareOrdinal(ipB, ipA) : prefixB.CompareTo(prefixA);
        }
    }
}
