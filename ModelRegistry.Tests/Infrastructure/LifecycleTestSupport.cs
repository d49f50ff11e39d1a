using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Tests.Infrastructure;

/// <summary>Lifecycle intentions over <see cref="RegistryApp"/>: request, approve, promote.</summary>
public static class LifecycleAppExtensions
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static LifecycleService Lifecycle(this RegistryApp app) => app.Get<LifecycleService>();

    public static LifecycleQueries LifecycleQueries(this RegistryApp app) => app.Get<LifecycleQueries>();

    /// <summary>Makes a request through Core as <paramref name="by"/>.</summary>
    public static Task<TransitionRequestInfo> RequestAsync(this RegistryApp app, TestUser by, string model, int number, Stage to,
        string? justification = "Evaluated on the hold-out set.") =>
        app.Lifecycle().RequestAsync(by.Actor, model, number, to, justification, Ct);

    /// <summary>Moves a version to <paramref name="to"/> the proper way: requested by one user, approved by another.</summary>
    public static async Task<TransitionRequestInfo> PromoteAsync(this RegistryApp app, TestUser requester, TestUser reviewer, string model,
        int number, Stage to)
    {
        var request = await app.RequestAsync(requester, model, number, to);
        return await app.Lifecycle().ApproveAsync(reviewer.Actor, request.Id, "Looks good.", Ct);
    }

    /// <summary>A model with <paramref name="versions"/> versions, registered by <paramref name="owner"/>.</summary>
    public static async Task ModelWithVersionsAsync(this RegistryApp app, TestUser owner, string model, int versions)
    {
        await app.RegisterModelAsync(owner, model);
        for (var i = 0; i < versions; i++)
        {
            await app.CreateVersionAsync(owner, model);
        }
    }

    /// <summary>Changes what a reviewer judges (the description), through Core as the dashboard and the API do.</summary>
    public static async Task ChangeContentAsync(this RegistryApp app, TestUser by, string model, int number, string description = "Changed after the request.") =>
        await app.Get<VersionService>().UpdateAsync(by.Actor, model, number, new VersionInput(Description: description), Ct);

    /// <summary>The stage of a version as stored.</summary>
    public static async Task<Stage> StageOfAsync(this RegistryApp app, string model, int number) =>
        (await app.Get<VersionService>().GetAsync(model, number, Ct)).Stage;

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}

/// <summary>
/// Policy gates that exist only in the tests, to prove the gate framework: they read the version (and, for one,
/// the database) exactly as the real artifact, model-card and evaluation gates will.
/// </summary>
public static class TestGates
{
    /// <summary>A registry whose policy has the three test gates.</summary>
    public static RegistryApp AppWithGates() => new() { TestServices = Register };

    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<ILifecycleGate, DescriptionGate>();
        services.AddSingleton<ILifecycleGate, ReviewedTagGate>();
        services.AddSingleton<ILifecycleGate, ModelOwnerGate>();
    }

    /// <summary>Production needs a version description.</summary>
    public sealed class DescriptionGate : ILifecycleGate
    {
        public const string GateName = "Description";
        public string Name => GateName;
        public bool AppliesTo(Stage target) => target == Stage.Production;

        public Task<GateCheck> EvaluateAsync(LifecycleGateContext context, CancellationToken ct) =>
            Task.FromResult(string.IsNullOrWhiteSpace(context.Version.Description)
                ? GateCheck.Fail("The version has no description.")
                : GateCheck.Pass("The version is described."));
    }

    /// <summary>Staging and Production need the tag "reviewed".</summary>
    public sealed class ReviewedTagGate : ILifecycleGate
    {
        public const string GateName = "Reviewed tag";
        public string Name => GateName;
        public bool AppliesTo(Stage target) => target is Stage.Staging or Stage.Production;

        public Task<GateCheck> EvaluateAsync(LifecycleGateContext context, CancellationToken ct) =>
            Task.FromResult(context.Version.Metadata.Tags.Contains("reviewed")
                ? GateCheck.Pass("Tagged reviewed.")
                : GateCheck.Fail("The version is not tagged 'reviewed'."));
    }

    /// <summary>Production needs the model to have an owner other than "nobody" — read from the database, like the real gates.</summary>
    public sealed class ModelOwnerGate : ILifecycleGate
    {
        public const string GateName = "Model owner";
        public string Name => GateName;
        public bool AppliesTo(Stage target) => target == Stage.Production;

        public async Task<GateCheck> EvaluateAsync(LifecycleGateContext context, CancellationToken ct)
        {
            var owner = await context.Db.Models.Where(m => m.Id == context.Version.ModelId).Select(m => m.Owner).SingleAsync(ct);
            return owner == "nobody" ? GateCheck.Fail("The model has no owner.") : GateCheck.Pass($"Owned by {owner}.");
        }
    }
}
