using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Signing;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Api;

/// <summary>
/// docs/attestations.md's offline check, run exactly as written (the shell blocks after its markers) with bash, curl,
/// jq, base64 and openssl against a live registry: an attestation the app signed says "Verified OK", and one whose
/// payload was changed in the database afterwards does not.
/// </summary>
public sealed class AttestationOfflineVerificationTests
{
    private static readonly string Document = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "docs", "attestations.md"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The ```bash block right after <c>&lt;!-- marker --&gt;</c> in the document.</summary>
    private static string Block(string marker)
    {
        var lines = File.ReadAllLines(Document);
        var at = Array.FindIndex(lines, l => l.Trim() == $"<!-- {marker} -->");
        Assert.True(at >= 0 && lines[at + 1].Trim() == "```bash", $"docs/attestations.md has no ```bash block after <!-- {marker} -->");
        var end = Array.FindIndex(lines, at + 2, l => l.Trim() == "```");
        return string.Join('\n', lines[(at + 2)..end]) + "\n";
    }

    private static async Task<(int ExitCode, string Out, string Error)> RunAsync(string script, string directory, IReadOnlyDictionary<string, string> environment)
    {
        var path = Path.Combine(directory, "documented.sh");
        await File.WriteAllTextAsync(path, script, Ct);
        var start = new ProcessStartInfo("bash") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(path);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task The_documented_openssl_commands_verify_an_attestation_and_refuse_a_tampered_payload()
    {
        await using var app = new RegistryApp();
        app.UseKestrel(0);
        app.StartServer();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var viewer = await app.CreateUserAsync();
        await app.ModelWithVersionsAsync(ds, "offline-check", 1);
        await app.UploadAsync(ds, "offline-check", 1, "config.json", Encoding.UTF8.GetBytes("{\"model_type\":\"llama\"}"));
        await app.UploadAsync(ds, "offline-check", 1, "model.safetensors", [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}']);
        await app.PromoteAsync(ds, reviewer, "offline-check", 1, Stage.Staging);
        await app.PromoteAsync(ds, reviewer, "offline-check", 1, Stage.Production);
        var token = await app.Get<TokenService>().CreateAsync(Actor.CommandLine, viewer.Id, "offline", 1, Ct);
        var environment = new Dictionary<string, string>
        {
            ["REGISTRY"] = app.ClientOptions.BaseAddress.ToString().TrimEnd('/'),
            ["TOKEN"] = token.Token,
            ["MODEL"] = "offline-check",
            ["VERSION"] = "1",
        };
        var verify = Block("attestation-offline-verify");
        var work = Directory.CreateTempSubdirectory("mr-offline-");
        try
        {
            var ok = await RunAsync(verify, work.FullName, environment);

            Assert.True(ok.ExitCode == 0, $"exit {ok.ExitCode}: {ok.Out}\n{ok.Error}");
            Assert.Equal("Verified OK", ok.Out.TrimEnd('\n').Split('\n')[^1]);
            // It checked the newest attestation: the move into Production.
            Assert.Contains("\"to\":\"Production\"", await File.ReadAllTextAsync(Path.Combine(work.FullName, "payload.json"), Ct));

            var keyIds = await RunAsync(Block("attestation-offline-keyid"), work.FullName, environment);
            Assert.Equal(0, keyIds.ExitCode);
            var ids = keyIds.Out.Trim().Split('\n');
            Assert.Equal(2, ids.Length);
            Assert.Equal(app.Get<SigningKeys>().CurrentKeyId, ids[0]);
            Assert.Equal(ids[0], ids[1]);

            // Someone with database access moves the approval's subject to other bytes; the signature stays.
            await using (var db = await app.DbAsync())
            {
                var row = await db.Attestations.OrderByDescending(a => a.Id).FirstAsync(Ct);
                var envelope = JsonNode.Parse(row.Envelope)!.AsObject();
                var statement = Encoding.UTF8.GetString(Convert.FromBase64String((string)envelope["payload"]!));
                var swapped = statement.Replace("\"name\":\"model.safetensors\"", "\"name\":\"model-evil.safetensors\"", StringComparison.Ordinal);
                Assert.NotEqual(statement, swapped);
                envelope["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(swapped));
                await db.Database.ExecuteSqlAsync($"UPDATE Attestations SET Envelope = {envelope.ToJsonString()} WHERE Id = {row.Id}", Ct);
            }

            var again = Directory.CreateTempSubdirectory("mr-offline-tampered-");
            try
            {
                var tampered = await RunAsync(verify, again.FullName, environment);

                Assert.NotEqual(0, tampered.ExitCode);
                Assert.DoesNotContain("Verified OK", tampered.Out);
                Assert.Contains("Verification failure", tampered.Out + tampered.Error);
            }
            finally
            {
                again.Delete(recursive: true);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
