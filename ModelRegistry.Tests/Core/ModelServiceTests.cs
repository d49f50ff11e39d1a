using ModelRegistry.Core.Common;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Core;

public sealed class ModelServiceTests(RegistryApp app) : ModelServiceTestsCases<RegistryApp>(app);

/// <summary>The same cases on PostgreSQL.</summary>
public sealed class ModelServiceTestsOnPostgres(PostgresRegistryApp app) : ModelServiceTestsCases<PostgresRegistryApp>(app);

public abstract class ModelServiceTestsCases<TApp>(TApp app) : IClassFixture<TApp> where TApp : RegistryApp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ModelService Models => app.Get<ModelService>();

    [Fact]
    public async Task Registered_model_reads_back_with_cleaned_fields_and_the_registrant_as_owner()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);

        await Models.CreateAsync(ds.Actor, new CreateModel("svc-readback", "  Read Back  ", "About it", "text-generation",
            ["Chat", "chat", "LLAMA"]), Ct);

        var model = await Models.GetAsync("svc-readback", Ct);
        Assert.Equal("Read Back", model.DisplayName);
        Assert.Equal("About it", model.Description);
        Assert.Equal("text-generation", model.Task);
        Assert.Equal(["chat", "llama"], model.Tags);
        Assert.Equal(ds.Email, model.Owner);
        Assert.Equal(0, model.VersionCount);
        Assert.Null(model.LatestVersion);
    }

    [Fact]
    public async Task Model_without_display_name_shows_its_name()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);

        var model = await Models.CreateAsync(ds.Actor, new CreateModel("svc-no-display"), Ct);

        Assert.Equal("svc-no-display", model.DisplayName);
    }

    [Fact]
    public async Task Duplicate_name_is_a_conflict_and_the_first_model_is_untouched()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await Models.CreateAsync(ds.Actor, new CreateModel("svc-dup", Description: "first"), Ct);

        await Assert.ThrowsAsync<ConflictException>(() =>
            Models.CreateAsync(ds.Actor, new CreateModel("svc-dup", Description: "second"), Ct));

        Assert.Equal("first", (await Models.GetAsync("svc-dup", Ct)).Description);
    }

    [Theory]
    [InlineData("Svc-Upper")]
    [InlineData("svc dup")]
    [InlineData("svc/slash")]
    [InlineData("svc..dots")]
    [InlineData("")]
    public async Task Invalid_name_is_refused_by_the_service(string name)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);

        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => Models.CreateAsync(ds.Actor, new CreateModel(name), Ct));

        Assert.Contains(ModelName.Rule, error.Message);
    }

    [Fact]
    public async Task Description_over_the_limit_is_refused()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);

        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => Models.CreateAsync(ds.Actor,
            new CreateModel("svc-long-description", Description: new string('x', ModelService.MaxDescription + 1)), Ct));

        Assert.True(error.Errors.ContainsKey("description"));
        await Assert.ThrowsAsync<NotFoundException>(() => Models.GetAsync("svc-long-description", Ct));
    }

    [Fact]
    public async Task Tag_with_a_comma_is_refused()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);

        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            Models.CreateAsync(ds.Actor, new CreateModel("svc-comma-tag", Tags: ["a,b"]), Ct));
    }

    [Fact]
    public async Task Update_changes_only_the_given_fields()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await Models.CreateAsync(ds.Actor, new CreateModel("svc-update", "Shown", "Old text", "embeddings", ["a"]), Ct);

        var updated = await Models.UpdateAsync(ds.Actor, "svc-update", new UpdateModel(Description: "New text"), Ct);

        Assert.Equal("New text", updated.Description);
        Assert.Equal("Shown", updated.DisplayName);
        Assert.Equal("embeddings", updated.Task);
        Assert.Equal(["a"], updated.Tags);
    }

    [Fact]
    public async Task Update_with_an_empty_task_clears_it()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await Models.CreateAsync(ds.Actor, new CreateModel("svc-clear-task", Task: "classification"), Ct);

        var updated = await Models.UpdateAsync(ds.Actor, "svc-clear-task", new UpdateModel(Task: ""), Ct);

        Assert.Null(updated.Task);
    }

    [Fact]
    public async Task Update_of_an_unknown_model_is_not_found()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);

        await Assert.ThrowsAsync<NotFoundException>(() =>
            Models.UpdateAsync(ds.Actor, "svc-never-registered", new UpdateModel(Description: "x"), Ct));
    }

    [Fact]
    public async Task Get_of_an_unknown_model_is_not_found()
    {
        await app.InitializeAsync();

        await Assert.ThrowsAsync<NotFoundException>(() => Models.GetAsync("svc-nowhere", Ct));
    }
}
