using ModelRegistry.Core.Aliases;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

public sealed class VersionReferenceTests(RegistryApp app) : VersionReferenceTestsCases<RegistryApp>(app);

/// <summary>The same cases on PostgreSQL (its LIKE, collation and case rules differ from SQLite's).</summary>
public sealed class VersionReferenceTestsOnPostgres(PostgresRegistryApp app) : VersionReferenceTestsCases<PostgresRegistryApp>(app);

/// <summary>
/// Every kind of version reference resolves to the version a reader expects: a number, latest, production, staging,
/// an alias, a commit or digest prefix (with or without <c>sha256:</c>); and what cannot be resolved says why.
/// </summary>
public abstract class VersionReferenceTestsCases<TApp>(TApp app) : IClassFixture<TApp> where TApp : RegistryApp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<int> ResolveAsync(string model, string reference) => app.Get<VersionReferences>().ResolveAsync(model, reference, Ct);

    /// <summary>A model with four versions: v2 in Production, v3 in Staging, v4 the newest; alias champion → v2.</summary>
    private async Task<(TestUser Ds, string Model)> ModelAsync(string prefix)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var model = Unique(prefix);
        await app.ModelWithVersionsAsync(ds, model, 4);
        await app.PromoteAsync(ds, reviewer, model, 2, Stage.Production);
        await app.PromoteAsync(ds, reviewer, model, 3, Stage.Staging);
        await app.Get<AliasService>().SetAsync(ds.Actor, model, "champion", 2, Ct);
        return (ds, model);
    }

    private async Task<string> DigestAsync(string model, int number) => (await app.Get<VersionService>().GetAsync(model, number, Ct)).Digest;

    [Fact]
    public async Task Numbers_latest_stages_and_aliases_resolve_to_their_version()
    {
        var (_, model) = await ModelAsync("ref-kinds");

        Assert.Equal(3, await ResolveAsync(model, "3"));
        Assert.Equal(4, await ResolveAsync(model, "latest"));
        Assert.Equal(2, await ResolveAsync(model, "production"));
        Assert.Equal(3, await ResolveAsync(model, "staging"));
        Assert.Equal(2, await ResolveAsync(model, "champion"));
        Assert.Equal(2, await ResolveAsync(model, "Production"));
    }

    [Fact]
    public async Task Latest_follows_a_new_version_and_an_alias_follows_its_move()
    {
        var (ds, model) = await ModelAsync("ref-follow");

        await app.CreateVersionAsync(ds, model);
        await app.Get<AliasService>().SetAsync(ds.Actor, model, "champion", 4, Ct);

        Assert.Equal(5, await ResolveAsync(model, "latest"));
        Assert.Equal(4, await ResolveAsync(model, "champion"));
    }

    [Fact]
    public async Task A_commit_a_digest_and_their_prefixes_resolve_with_or_without_sha256()
    {
        var (_, model) = await ModelAsync("ref-digest");
        var digest = await DigestAsync(model, 3);
        var hex = digest["sha256:".Length..];

        Assert.Equal(3, await ResolveAsync(model, digest));
        Assert.Equal(3, await ResolveAsync(model, hex));
        Assert.Equal(3, await ResolveAsync(model, hex[..40]));
        Assert.Equal(3, await ResolveAsync(model, hex[..12]));
        Assert.Equal(3, await ResolveAsync(model, "sha256:" + hex[..12]));
        Assert.Equal(3, await ResolveAsync(model, hex[..16].ToUpperInvariant()));
    }

    [Fact]
    public async Task A_prefix_shorter_than_twelve_hex_digits_is_refused_as_too_short()
    {
        var (_, model) = await ModelAsync("ref-short");
        var hex = (await DigestAsync(model, 3))["sha256:".Length..];

        var bare = await Assert.ThrowsAsync<ValidationFailedException>(() => ResolveAsync(model, hex[..11]));
        var prefixed = await Assert.ThrowsAsync<ValidationFailedException>(() => ResolveAsync(model, "sha256:" + hex[..7]));

        Assert.Contains("at least 12 hex digits", bare.Errors["reference"][0]);
        Assert.Contains("at least 12 hex digits", prefixed.Errors["reference"][0]);
    }

    [Fact]
    public async Task A_prefix_of_two_versions_digests_is_ambiguous_and_names_both()
    {
        var (_, model) = await ModelAsync("ref-ambiguous");
        // Two digests sharing 12 hex digits would take ~2^24 versions to meet by chance: write them as a forger would.
        await app.ExecuteSqlAsync($"""
            UPDATE "Versions" SET "Digest" = 'sha256:abcdefabcdef' || substr("Digest", 20)
            WHERE "Number" IN (1, 4) AND "ModelId" = (SELECT "Id" FROM "Models" WHERE "Name" = '{model}')
            """);

        var ambiguous = await Assert.ThrowsAsync<AmbiguousReferenceException>(() => ResolveAsync(model, "abcdefabcdef"));

        Assert.Equal("ambiguous_reference", ambiguous.Code);
        Assert.Contains("v1, v4", ambiguous.Message);
        var unique = (await DigestAsync(model, 4))["sha256:".Length..][..20];
        Assert.Equal(4, await ResolveAsync(model, unique));
    }

    [Fact]
    public async Task Unknown_references_are_not_found_and_name_the_reference()
    {
        var (_, model) = await ModelAsync("ref-unknown");

        var alias = await Assert.ThrowsAsync<NotFoundException>(() => ResolveAsync(model, "challenger"));
        var commit = await Assert.ThrowsAsync<NotFoundException>(() => ResolveAsync(model, "0123456789ab0123456789ab"));
        var number = await Assert.ThrowsAsync<NotFoundException>(() => ResolveAsync(model, "9"));
        var model404 = await Assert.ThrowsAsync<NotFoundException>(() => ResolveAsync("no-such-model", "latest"));
        var odd = await Assert.ThrowsAsync<NotFoundException>(() => ResolveAsync(model, "champion\nX"));

        Assert.Contains("'challenger'", alias.Message);
        Assert.Contains("'0123456789ab0123456789ab'", commit.Message);
        Assert.Contains("no version 9", number.Message);
        Assert.Contains("no-such-model", model404.Message);
        Assert.DoesNotContain('\n', odd.Message);
    }

    [Fact]
    public async Task A_stage_nobody_holds_and_latest_of_a_model_without_versions_are_not_found()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var model = Unique("ref-empty");
        await app.RegisterModelAsync(ds, model);

        await Assert.ThrowsAsync<NotFoundException>(() => ResolveAsync(model, "latest"));
        var production = await Assert.ThrowsAsync<NotFoundException>(() => ResolveAsync(model, "production"));
        await Assert.ThrowsAsync<NotFoundException>(() => ResolveAsync(model, "staging"));
        Assert.Contains("no version in Production", production.Message);
    }

    [Fact]
    public async Task An_alias_wins_over_the_digest_prefix_it_spells()
    {
        var (ds, model) = await ModelAsync("ref-alias-hex");
        var hex = (await DigestAsync(model, 3))["sha256:".Length..][..12];
        var name = "a" + hex[1..];
        // Make the alias's name a prefix of v3's digest, and point it at v1.
        await app.ExecuteSqlAsync($"""
            UPDATE "Versions" SET "Digest" = 'sha256:{name}' || substr("Digest", 20)
            WHERE "Number" = 3 AND "ModelId" = (SELECT "Id" FROM "Models" WHERE "Name" = '{model}')
            """);
        await app.Get<AliasService>().SetAsync(ds.Actor, model, name, 1, Ct);

        Assert.Equal(1, await ResolveAsync(model, name));
        Assert.Equal(3, await ResolveAsync(model, "sha256:" + name));
    }
}
