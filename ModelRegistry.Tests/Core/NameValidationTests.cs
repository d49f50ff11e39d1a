using ModelRegistry.Core.Common;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Core.Webhooks;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// Every kind of name the registry validates, with a line break, a Unicode line separator or a space after it: refused,
/// never trimmed into another name, and nothing written. (A <c>$</c> anchor matches before a final "\n": a model name
/// ending in one used to pass, be stored, and then break the answer.)
/// </summary>
public sealed class NameValidationTests(NameValidationApp app) : IClassFixture<NameValidationApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Endings are named, not written, so test names stay printable in the JUnit report.</summary>
    public static readonly Dictionary<string, string> Endings = new()
    {
        ["newline"] = "\n",
        ["carriage return"] = "\r",
        ["CRLF"] = "\r\n",
        ["line separator U+2028"] = "\u2028",
        ["paragraph separator U+2029"] = "\u2029",
        ["next line U+0085"] = "\u0085",
        ["trailing space"] = " ",
        ["trailing tab"] = "\t",
    };

    public static readonly string[] Kinds =
    [
        "model name", "model tag", "model tag on update", "version tag", "dataset name", "dataset split", "metric name",
        "metric dataset", "metric split", "environment", "token name", "webhook event", "role",
    ];

    public static TheoryData<string, string> KindsAndEndings()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in Kinds)
        {
            foreach (var ending in Endings.Keys)
            {
                data.Add(kind, ending);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KindsAndEndings))]
    public async Task A_name_with_a_line_break_or_space_after_it_is_refused_and_nothing_is_written(string kind, string ending)
    {
        var (ds, admin, model) = await SetupAsync(kind);
        var before = await app.StateAsync();

        var e = await Assert.ThrowsAsync<ValidationFailedException>(() => WriteAsync(kind, Endings[ending], ds, admin, model));

        Assert.NotEmpty(e.Errors);
        // Every write is audited (metrics, deployments, webhooks too), so an unchanged trail means nothing was written.
        Assert.Equal(before, await app.StateAsync());
    }

    [Theory]
    [InlineData("model name")]
    [InlineData("environment")]
    [InlineData("metric name")]
    [InlineData("token name")]
    [InlineData("webhook event")]
    [InlineData("role")]
    public async Task The_same_name_without_the_ending_is_accepted(string kind)
    {
        var (ds, admin, model) = await SetupAsync(kind);

        await WriteAsync(kind, "", ds, admin, model);
    }

    /// <summary>A DataScientist, an Admin and a model with version 1 (in Staging when a deployment is to be recorded).</summary>
    private async Task<(TestUser Ds, TestUser Admin, string Model)> SetupAsync(string kind)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var admin = await app.CreateUserAsync(Roles.Admin);
        var model = $"names-{Guid.NewGuid():N}"[..20];
        await app.RegisterModelAsync(ds, model);
        await app.CreateVersionAsync(ds, model);
        if (kind == "environment")
        {
            await app.PromoteAsync(ds, await app.CreateUserAsync(Roles.Reviewer), model, 1, Stage.Staging);
        }

        return (ds, admin, model);
    }

    /// <summary>Writes one thing whose <paramref name="kind"/> of name ends in <paramref name="s"/>, as a client would.</summary>
    private Task WriteAsync(string kind, string s, TestUser ds, TestUser admin, string model) => kind switch
    {
        "model name" => app.Get<ModelService>().CreateAsync(ds.Actor, new CreateModel($"{model}-x{s}"), Ct),
        "model tag" => app.Get<ModelService>().CreateAsync(ds.Actor, new CreateModel($"{model}-t", Tags: [$"chat{s}"]), Ct),
        "model tag on update" => app.Get<ModelService>().UpdateAsync(ds.Actor, model, new UpdateModel(Tags: [$"chat{s}"]), Ct),
        "version tag" => app.Get<VersionService>().CreateAsync(ds.Actor, model, new VersionInput(Tags: [$"fp16{s}"]), Ct),
        "dataset name" => app.Get<VersionService>().CreateAsync(ds.Actor, model,
            new VersionInput(Datasets: [new DatasetInfo($"wikitext{s}", null, null, null, null)]), Ct),
        "dataset split" => app.Get<VersionService>().CreateAsync(ds.Actor, model,
            new VersionInput(Datasets: [new DatasetInfo("wikitext", null, null, null, $"train{s}")]), Ct),
        "metric name" => app.Get<EvaluationService>().RecordAsync(ds.Actor, model, 1, [new MetricInput($"accuracy{s}", 0.9)], EvaluationSource.Api, Ct),
        "metric dataset" => app.Get<EvaluationService>().RecordAsync(ds.Actor, model, 1, [new MetricInput("accuracy", 0.9, $"mmlu{s}")], EvaluationSource.Api, Ct),
        "metric split" => app.Get<EvaluationService>().RecordAsync(ds.Actor, model, 1, [new MetricInput("accuracy", 0.9, "mmlu", $"test{s}")], EvaluationSource.Api, Ct),
        "environment" => app.Get<DeploymentService>().RecordAsync(ds.Actor, model, 1,
            new DeploymentInput($"prod-eu{s}", DeploymentStatus.Deployed), Ct),
        "token name" => app.Get<TokenService>().CreateAsync(ds.Actor, ds.Id, $"ci{s}", null, Ct),
        "webhook event" => app.Get<WebhookService>().CreateAsync(admin.Actor,
            new CreateWebhook("http://127.0.0.1:9/registry", [$"{WebhookEvents.ModelCreated}{s}"], null), Ct),
        "role" => app.Get<UserAdminService>().CreateAsync(admin.Actor, $"{Guid.NewGuid():N}@example.com", "correct-horse-battery", null,
            [$"{Roles.Reviewer}{s}"], Ct),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>A registry whose webhooks may point at loopback, so that a subscription's events are what a test varies.</summary>
public sealed class NameValidationApp : RegistryApp
{
    public NameValidationApp() => Settings["Registry:Webhooks:AllowPrivateNetworks"] = "true";
}
