using System.CommandLine;

namespace ModelRegistry.Client.Commands;

/// <summary>
/// <c>mreg verify NAME@REF DIR</c>: hashes every file under DIR and compares the directory with the version's files —
/// missing, extra and mismatched files listed; exit 4 on any difference.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(MregEnvironment env, Option<bool> json)
    {
        var reference = new Argument<string>("NAME@REF") { Description = "The model and a version reference: a number, latest, production, staging, an alias or a commit" };
        var dir = new Argument<string>("DIR") { Description = "The local directory to check" };
        var parallel = Mreg.ParallelOption();
        var command = new Command("verify", "Checks a local directory against a version's files by SHA-256 (exit 4 on any difference)") { reference, dir, parallel };
        command.SetAction((result, ct) => Mreg.RunActionAsync(env, result.GetValue(json), results =>
            RunAsync(env, results, result.GetValue(reference)!, result.GetValue(dir)!, result.GetValue(parallel), ct)));
        return command;
    }

    private static async Task<int> RunAsync(MregEnvironment env, Results results, string referenceText, string dir, int parallel, CancellationToken ct)
    {
        Mreg.RequireParallel(parallel);
        var reference = VersionReference.Parse(referenceText, defaultReference: null);
        var local = LocalFiles.List(dir);
        var settings = ClientSettings.Load(env);
        using var connection = RegistryConnection.Open(env, settings);
        var (version, files) = await reference.ResolveAsync(connection, ct);

        var hashes = await ProgressView.RunAsync(env, async view =>
        {
            var item = view.Add($"hashing {local.Count} file(s)", local.Sum(f => f.Size));
            var found = new string[local.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, local.Count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
                async (i, token) => found[i] = await LocalFiles.Sha256Async(local[i].FullPath, item, token));
            item.Done("hashed");
            return found;
        });

        var here = local.Select((f, i) => (f.Path, Sha: hashes[i])).ToDictionary(x => x.Path, x => x.Sha, StringComparer.Ordinal);
        var expected = files.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        var missing = expected.Keys.Where(p => !here.ContainsKey(p)).Order(StringComparer.Ordinal).ToList();
        var extra = here.Keys.Where(p => !expected.ContainsKey(p)).Order(StringComparer.Ordinal).ToList();
        var mismatched = expected.Where(e => here.TryGetValue(e.Key, out var sha) && sha != e.Value)
            .Select(e => new Mismatch(e.Key, e.Value, here[e.Key])).OrderBy(m => m.Path, StringComparer.Ordinal).ToList();
        var ok = missing.Count == 0 && extra.Count == 0 && mismatched.Count == 0;
        await results.WriteAsync(new VerifyOutput(reference.Model, version.Number, version.Digest, ok, files.Count, missing, extra, mismatched), () => ok
            ? [$"OK: {dir} matches {reference.Model} version {version.Number} ({files.Count} files, {version.Digest})"]
            : [.. missing.Select(p => $"missing     {p}"), .. extra.Select(p => $"extra       {p}"),
               .. mismatched.Select(m => $"mismatched  {m.Path}  (expected {m.Expected}, found {m.Actual})")]);
        if (!ok)
        {
            throw new MregException(ExitCodes.VerificationFailed,
                $"{dir} differs from {reference.Model} version {version.Number}: {missing.Count} missing, {extra.Count} extra, {mismatched.Count} mismatched.");
        }

        return ExitCodes.Ok;
    }
}
