using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Hub;

namespace ModelRegistry.Web.Hub;

/// <summary>
/// The Hugging Face Hub-compatible read API under <c>/hf</c> (docs/design.md, "Hub-compatible read API"; docs/hub-compat.md):
/// what transformers, vLLM, TGI, llama.cpp, huggingface_hub and @huggingface/hub call when <c>HF_ENDPOINT</c> points
/// here. It only reads, through <see cref="HubService"/>, with the REST API's authentication and access rule; it is
/// not part of the REST API's contract, so it stays out of the OpenAPI document.
/// </summary>
public static class HubApi
{
    /// <summary>The prefix of every route.</summary>
    public const string Prefix = "/hf";

    /// <summary>A repo id in a route, in the three ways a client may write it.</summary>
    /// <param name="Template">The route segments naming the repo.</param>
    /// <param name="Owner">The owner the template fixes (the namespace), or null when a route value gives it (or there is none).</param>
    internal sealed record RepoForm(string Template, string? Owner);

    public static IEndpointRouteBuilder MapHubCompat(this IEndpointRouteBuilder app)
    {
        var hub = app.MapGroup(Prefix)
            .RequireAuthorization()
            .WithMetadata(new RequestSizeLimitAttribute(Api.ApiExtensions.MaxJsonBodyBytes))
            .DisableAntiforgery()
            .ExcludeFromDescription()
            .AddEndpointFilter<HubErrors>();

        var @namespace = app.ServiceProvider.GetRequiredService<IOptions<HubCompatOptions>>().Value.Namespace;
        // "registry/{model}" first: a literal segment outranks a parameter, so "registry/tree/…" is the model "tree" of
        // the namespace, never a bare model "registry". "{owner}/{model}" answers RepoNotFound for other namespaces.
        RepoForm[] forms = [new($"{@namespace}/{{model}}", @namespace), new("{owner}/{model}", null), new("{model}", null)];

        HubModelsApi.Map(hub, forms);
        HubTreeApi.Map(hub, forms);
        HubFilesApi.Map(hub, forms);
        HubUnsupported.Map(hub);
        return app;
    }

    /// <summary>The owner a request names: fixed by the route's form, else the <c>owner</c> route value, else none (a bare model).</summary>
    internal static string? OwnerOf(RepoForm form, HttpRequest request) =>
        form.Owner ?? request.RouteValues["owner"] as string;
}
