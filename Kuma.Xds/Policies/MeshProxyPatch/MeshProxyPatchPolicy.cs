using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Filter = Envoy.Config.Listener.V3.Filter;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Kuma.Resources;
using Kuma.Validation;
using static Kuma.Policies.TargetRefKinds;

namespace Kuma.Policies.MeshProxyPatch;

/// <summary>
/// MeshProxyPatch: changes to the Envoy resources the control plane generates for the proxies it selects. Besides
/// Kuma's checks, what can be known without a proxy is checked here (values parse as the resource they stand for,
/// patch paths are JSON pointers), so most broken patches are refused before they reach any proxy.
/// </summary>
public static class MeshProxyPatchPolicy
{
    public static readonly PolicyShape Shape = new(HasTo: false, HasFrom: false, HasRules: false);

    private static readonly string[] TopKinds = [Mesh, MeshSubset, MeshService, MeshServiceSubset, MeshGateway, Dataplane];

    public const string Add = "Add", Remove = "Remove", Patch = "Patch";
    public const string AddFirst = "AddFirst", AddLast = "AddLast", AddBefore = "AddBefore", AddAfter = "AddAfter";

    private static readonly string[] ResourceOperations = [Add, Patch, Remove];
    private static readonly string[] FilterOperations = [AddFirst, AddLast, AddBefore, AddAfter, Patch, Remove];
    private static readonly string[] PatchOps = ["add", "remove", "replace", "move", "copy"];

    public static readonly ResourceDescriptor<MeshProxyPatchSpec> Descriptor = new()
    {
        Name = "MeshProxyPatch",
        Plural = "meshproxypatches",
        ShortName = "mpp",
        Scope = ResourceScope.Mesh,
        Policy = Shape,
        Validate = Validate,
    };

    private static void Validate(MeshProxyPatchSpec spec, FieldPath path, ValidationErrors errors)
    {
        if (spec.TargetRef is { } top) PolicyValidation.CheckTargetRef(top, path.Field("targetRef"), TopKinds, errors);
        var list = path.Field("default").Field("appendModifications");
        var modifications = spec.Default?.AppendModifications ?? [];
        if (modifications.Count == 0) errors.Add(list, "must not be empty");
        for (var i = 0; i < modifications.Count; i++) CheckModification(modifications[i], list.Index(i), errors);
    }

    private static void CheckModification(Modification modification, FieldPath path, ValidationErrors errors)
    {
        var defined = new object?[] { modification.Cluster, modification.Listener, modification.VirtualHost, modification.NetworkFilter, modification.HttpFilter }
            .Count(m => m is not null);
        if (defined != 1)
        {
            errors.Add(path, $"exactly one modification can be defined at a time. Currently, {defined} modifications are defined");
            return;
        }
        if (modification.Cluster is { } cluster) CheckResource<Cluster, ClusterMatch>(cluster, "cluster", path, errors, ResourceChecks.Cluster);
        else if (modification.Listener is { } listener) CheckResource<Listener, ListenerMatch>(listener, "listener", path, errors, ResourceChecks.Listener);
        else if (modification.VirtualHost is { } host) CheckVirtualHost(host, path, errors);
        else if (modification.NetworkFilter is { } network) CheckFilter<Filter>(network, "networkFilter", path, errors, ResourceChecks.NetworkFilter);
        else if (modification.HttpFilter is { } http) CheckFilter<HttpFilter>(http, "httpFilter", path, errors, ResourceChecks.HttpFilter);
    }

    private static void CheckResource<T, TMatch>(ResourceMod<TMatch> mod, string kind, FieldPath parent, ValidationErrors errors, Func<T, string?> check)
        where T : class, IMessage<T>, new() where TMatch : class =>
        CheckResource(mod, kind, parent, errors, check, (match, path) => match is null ? null : path.Field("match"));

    /// <summary>A virtual host is added to the route configurations its match names, so only the host's own name is left out.</summary>
    private static void CheckVirtualHost(ResourceMod<VirtualHostMatch> mod, FieldPath parent, ValidationErrors errors) =>
        CheckResource<VirtualHost, VirtualHostMatch>(mod, "virtualHost", parent, errors, ResourceChecks.VirtualHost,
            (match, path) => match?.Name is null ? null : path.Field("match").Field("name"));

    /// <param name="matchNotAllowedOnAdd">The part of the match an added resource must not have, if it has it.</param>
    private static void CheckResource<T, TMatch>(ResourceMod<TMatch> mod, string kind, FieldPath parent, ValidationErrors errors, Func<T, string?> check,
        Func<TMatch?, FieldPath, FieldPath?> matchNotAllowedOnAdd)
        where T : class, IMessage<T>, new() where TMatch : class
    {
        var path = parent.Field(kind);
        switch (mod.Operation)
        {
            case Add:
                if (matchNotAllowedOnAdd(mod.Match, path) is { } defined) errors.Add(defined, "must not be defined");
                CheckNewValue(mod.Value, path.Field("value"), errors, check);
                break;
            case Patch:
                CheckPatch<T, TMatch>(mod, kind, path, errors);
                break;
            case Remove:
                if (mod.Value is not null) errors.Add(path.Field("value"), "must not be defined");
                break;
            default:
                errors.Add(path.Field("operation"), AvailableOperations(ResourceOperations));
                break;
        }
    }

    private static void CheckFilter<T>(ResourceMod<FilterMatch> mod, string kind, FieldPath parent, ValidationErrors errors, Func<T, string?> check)
        where T : class, IMessage<T>, new()
    {
        var path = parent.Field(kind);
        var named = mod.Match?.Name is not null;
        switch (mod.Operation)
        {
            case AddFirst or AddLast:
                CheckNewValue(mod.Value, path.Field("value"), errors, check);
                break;
            case AddBefore or AddAfter:
                if (!named)
                {
                    var where = mod.Operation == AddBefore ? "before" : "after";
                    errors.Add(path.Field("match").Field("name"), $"must be defined. You need to pick a filter {where} which this one will be added");
                }
                CheckNewValue(mod.Value, path.Field("value"), errors, check);
                break;
            case Patch:
                if (!named) errors.Add(path.Field("match").Field("name"), "must be defined");
                CheckPatch<T, FilterMatch>(mod, kind, path, errors);
                break;
            case Remove:
                if (mod.Value is not null) errors.Add(path.Field("value"), "must not be defined");
                break;
            default:
                errors.Add(path.Field("operation"), AvailableOperations(FilterOperations));
                break;
        }
    }

    /// <summary>A value that becomes a resource or filter as it is: it must read as one and pass Envoy's cheap checks.</summary>
    private static void CheckNewValue<T>(string? value, FieldPath path, ValidationErrors errors, Func<T, string?> check) where T : class, IMessage<T>, new()
    {
        if (value is null)
        {
            errors.Add(path, "must be defined");
            return;
        }
        var (message, error) = EnvoyJson.FromValue<T>(value);
        if ((error ?? check(message!)) is { } problem) errors.Add(path, $"native Envoy resource is not valid: {problem}");
    }

    private static void CheckPatch<T, TMatch>(ResourceMod<TMatch> mod, string kind, FieldPath path, ValidationErrors errors)
        where T : class, IMessage<T>, new() where TMatch : class
    {
        var patches = mod.JsonPatches ?? [];
        if (mod.Value is { } value)
        {
            if (patches.Count > 0) errors.Add(path, $"{kind} must have only one type defined: value, jsonPatches");
            else if (EnvoyJson.FromValue<T>(value).Error is { } error) errors.Add(path.Field("value"), $"native Envoy resource is not valid: {error}");
        }
        else if (patches.Count > 0) CheckJsonPatches(patches, path.Field("jsonPatches"), errors);
        else errors.Add(path, $"{kind} must have exactly one defined: value, jsonPatches");
    }

    private static void CheckJsonPatches(List<JsonPatchBlock> patches, FieldPath path, ValidationErrors errors)
    {
        for (var i = 0; i < patches.Count; i++)
        {
            var patch = patches[i];
            var p = path.Index(i);
            if (!PatchOps.Contains(patch.Op)) errors.Add(p.Field("op"), "\"op\" must be one of [\"add\", \"remove\", \"replace\", \"move\", \"copy\"]");
            if (patch.Op is "move" or "copy")
            {
                if (patch.From is null) errors.Add(p.Field("from"), "\"from\" must not be empty when \"op\" is one of [\"move\", \"copy\"]");
            }
            else if (patch.From is not null) errors.Add(p.Field("from"), "\"from\" is allowed only when \"op\" is one of [\"move\", \"copy\"]");
            if (patch.Op is "add" or "replace")
            {
                if (patch.Value is null) errors.Add(p.Field("value"), "\"value\" must not be empty when \"op\" is one of [\"add\", \"replace\"]");
            }
            else if (patch.Value is not null) errors.Add(p.Field("value"), "\"value\" is allowed only when \"op\" is one of [\"add\", \"replace\"]");
            if (patch.Path is null) errors.Add(p.Field("path"), "must be defined");
            else if (patch.Path is "" or "/" && patch.Op == "remove") errors.Add(p.Field("path"), "root path cannot be removed");
            // Not Kuma's check: Kuma finds a malformed pointer only when it applies the patch to a proxy.
            else if (JsonPatch.PointerProblem(patch.Path) is { } problem) errors.Add(p.Field("path"), $"must be a JSON pointer: {problem}");
            if (patch.From is { } from && JsonPatch.PointerProblem(from) is { } fromProblem) errors.Add(p.Field("from"), $"must be a JSON pointer: {fromProblem}");
        }
    }

    private static string AvailableOperations(string[] operations) =>
        $"invalid operation. Available operations: {string.Join(", ", operations.Select(o => $"\"{o}\""))}";
}
