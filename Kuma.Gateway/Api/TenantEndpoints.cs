using Kuma.Gateway.Auth;
using Kuma.Grains;
using Kuma.Resources;
using Kuma.Validation;

namespace Kuma.Gateway.Api;

/// <summary>The admin's management of tenants: <c>/tenants</c> and <c>/tenants/{name}</c>.</summary>
public sealed class TenantEndpoints(IGrainFactory grains, TenantDirectory directory, ApiOptions options)
{
    public async Task HandleAsync(HttpContext context, ApiRoute route)
    {
        if (route.Kind == RouteKind.TenantList)
        {
            ApiDispatcher.RequireMethod(context, HttpMethods.Get);
            await ListAsync(context);
            return;
        }
        var name = route.Name!;
        var grain = grains.GetGrain<ITenantGrain>(GrainKeys.Tenant(name));
        switch (context.Request.Method)
        {
            case var m when HttpMethods.IsGet(m):
                var resource = await grain.Get() ?? throw new ApiException(StatusCodes.Status404NotFound, "Could not retrieve a resource", "Not found");
                await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => ResourceJson.Write(w, resource, ResourceTypes.Tenant), JsonResponse.ETag(resource.Version));
                break;
            case var m when HttpMethods.IsPut(m):
                var body = await RequestBody.ReadObjectAsync(context.Request, options.MaxBodyBytes, context.RequestAborted);
                var parsed = ResourceJson.Parse(body, ResourceTypes.Tenant, null, name);
                var write = new ResourceWrite
                {
                    Key = ResourceKey.Global(ResourceKey.SystemTenant, ResourceTypes.Tenant.Name, name),
                    SpecJson = parsed.SpecJson,
                    Labels = parsed.Labels,
                    ExpectedVersion = null,
                };
                var result = await grain.Put(write);
                directory.Invalidate(name);
                await ResourceEndpoints.Answer(context, result, "Could not process a resource", "Not found");
                break;
            case var m when HttpMethods.IsDelete(m):
                if (name == Caller.DefaultTenant)
                    throw ApiException.Invalid([new FieldError("name", "the default tenant cannot be deleted")]);
                var deleted = await grain.Delete(null);
                directory.Invalidate(name);
                await ResourceEndpoints.Answer(context, deleted, "Could not delete a resource", "Could not delete a resource");
                break;
            default:
                throw ApiException.MethodNotAllowed(context.Request.Method);
        }
    }

    private async Task ListAsync(HttpContext context)
    {
        var items = new List<StoredResource>();
        (string, string)? after = null;
        var reader = grains.GetGrain<IResourceReaderGrain>(0);
        while (true)
        {
            var page = await reader.List(new ResourceQuery { Tenant = ResourceKey.SystemTenant, Type = ResourceTypes.Tenant.Name, Size = 1000, After = after });
            items.AddRange(page.Items);
            if (!page.HasMore) break;
            after = (page.Items[^1].Key.Mesh, page.Items[^1].Key.Name);
        }
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("total", items.Count);
            w.WriteStartArray("items");
            foreach (var item in items) ResourceJson.Write(w, item, ResourceTypes.Tenant);
            w.WriteEndArray();
            w.WriteNull("next");
            w.WriteEndObject();
        });
    }
}
