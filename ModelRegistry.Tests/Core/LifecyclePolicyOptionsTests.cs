using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary><c>Registry:Policy</c>: defaults, binding, validation, and distinct approvals.</summary>
public sealed class LifecyclePolicyOptionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LifecyclePolicyOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddOptions<LifecyclePolicyOptions>().BindConfiguration(LifecyclePolicyOptions.Section).ValidateDataAnnotations();
        return services.BuildServiceProvider().GetRequiredService<IOptions<LifecyclePolicyOptions>>().Value;
    }

    [Fact]
    public void Defaults_are_the_documented_policy()
    {
        var policy = Bind([]);

        Assert.Equal(1, policy.RequiredApprovals);
        Assert.True(policy.Production.RequireArtifact);
        Assert.True(policy.Production.RequireEvaluationResult);
        Assert.Equal(["Intended use", "Limitations", "Training data", "Evaluation"], policy.Production.ModelCardSections);
        Assert.True(policy.Staging.RequireArtifact);
    }

    [Fact]
    public void Configured_values_replace_the_defaults()
    {
        var policy = Bind(new()
        {
            ["Registry:Policy:RequiredApprovals"] = "2",
            ["Registry:Policy:Production:RequireArtifact"] = "false",
            ["Registry:Policy:Production:RequireModelCardSections:0"] = "Intended use",
            ["Registry:Policy:Production:RequireModelCardSections:1"] = "Risks",
            ["Registry:Policy:Production:RequireEvaluationResult"] = "false",
            ["Registry:Policy:Staging:RequireArtifact"] = "false",
        });

        Assert.Equal(2, policy.RequiredApprovals);
        Assert.False(policy.Production.RequireArtifact);
        Assert.False(policy.Production.RequireEvaluationResult);
        Assert.Equal(["Intended use", "Risks"], policy.Production.ModelCardSections);
        Assert.False(policy.Staging.RequireArtifact);
    }

    [Fact]
    public void A_blank_section_list_requires_no_section()
    {
        var policy = Bind(new() { ["Registry:Policy:Production:RequireModelCardSections:0"] = "" });

        Assert.Empty(policy.Production.ModelCardSections);
    }

    [Fact]
    public void Tests_run_with_the_content_gates_off_unless_they_ask()
    {
        var policy = Bind(new(RegistryApp.PolicyWithoutContentGates));

        Assert.False(policy.Staging.RequireArtifact);
        Assert.False(policy.Production.RequireArtifact);
        Assert.False(policy.Production.RequireEvaluationResult);
        Assert.Empty(policy.Production.ModelCardSections);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("11")]
    [InlineData("-1")]
    public void Required_approvals_out_of_range_is_refused(string value)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Bind(new() { ["Registry:Policy:RequiredApprovals"] = value }));

        Assert.Contains("RequiredApprovals", e.Message);
    }

    [Fact]
    public async Task The_registry_does_not_start_with_an_invalid_policy()
    {
        await using var app = new RegistryApp { Settings = { ["Registry:Policy:RequiredApprovals"] = "0" } };

        var e = await Record.ExceptionAsync(() => app.InitializeAsync());

        Assert.NotNull(e);
        Assert.Contains("RequiredApprovals", e.ToString());
    }
}

/// <summary>A registry whose policy asks for two approvals.</summary>
public sealed class TwoApprovalsRegistry : IAsyncLifetime
{
    public RegistryApp App { get; } = new() { Settings = { ["Registry:Policy:RequiredApprovals"] = "2" } };

    public ValueTask InitializeAsync() => new(App.InitializeAsync());

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

public sealed class RequiredApprovalsTests(TwoApprovalsRegistry registry) : IClassFixture<TwoApprovalsRegistry>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_moves_only_after_approvals_from_distinct_reviewers()
    {
        var app = registry.App;
        var lifecycle = app.Get<LifecycleService>();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var first = await app.CreateUserAsync(Roles.Reviewer);
        var second = await app.CreateUserAsync(Roles.Admin);
        var model = Unique("two-approvals");
        await app.ModelWithVersionsAsync(ds, model, 1);
        var request = await app.RequestAsync(ds, model, 1, Stage.Production);
        Assert.Equal(2, request.ApprovalsRequired);

        var partly = await lifecycle.ApproveAsync(first.Actor, request.Id, "Eval looks right.", Ct);
        Assert.Equal(TransitionStatus.Pending, partly.Status);
        Assert.Single(partly.Approvals);
        Assert.Equal(Stage.None, await app.StageOfAsync(model, 1));
        Assert.False(TransitionRules.CanDecide(first.Actor, partly));

        await Assert.ThrowsAsync<ModelRegistry.Core.Common.ConflictException>(() => lifecycle.ApproveAsync(first.Actor, request.Id, "again", Ct));
        await Assert.ThrowsAsync<ModelRegistry.Core.Common.ForbiddenException>(() => lifecycle.ApproveAsync(ds.Actor, request.Id, null, Ct));

        var approved = await lifecycle.ApproveAsync(second.Actor, request.Id, "Agreed.", Ct);
        Assert.Equal(TransitionStatus.Approved, approved.Status);
        Assert.Equal([first.Id, second.Id], approved.Approvals.Select(a => a.ReviewerId));
        Assert.Equal(second.Email, approved.DecidedBy);
        Assert.Equal(Stage.Production, await app.StageOfAsync(model, 1));

        var kinds = (await app.Get<ModelRegistry.Core.Notifications.NotificationService>().ListAsync(ds.Actor, ct: Ct)).Select(n => n.Kind);
        Assert.Equal([ModelRegistry.Core.Notifications.NotificationKind.TransitionApproved, ModelRegistry.Core.Notifications.NotificationKind.TransitionPartlyApproved], kinds);
    }
}
