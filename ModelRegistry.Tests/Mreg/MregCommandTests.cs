using System.Net;
using System.Net.Sockets;
using ModelRegistry.Client;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Tests.Infrastructure;

namespace ModelRegistry.Tests.Mreg;

/// <summary>promote --wait, login, metrics, aliases, ls, --json and every exit code of <c>mreg</c>, against the app on a real port.</summary>
public sealed class MregCommandTests(MregFixture fixture) : IClassFixture<MregFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task PushAsync(MregRunner mreg, string model)
    {
        var dir = ModelDirectory.Create(("config.json", "{}"u8.ToArray()));
        var pushed = await mreg.RunAsync(Ct, "push", dir.FullName, "--model", model);
        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Promote_wait_returns_once_a_reviewer_approves_and_exits_3_when_one_rejects()
    {
        using var mreg = fixture.Runner();
        await PushAsync(mreg, "promote-wait");
        await PushAsync(mreg, "promote-wait");
        var lifecycle = fixture.App.Get<LifecycleService>();

        async Task DecideAsync(bool approve, CancellationToken ct)
        {
            while (true)
            {
                var pending = await fixture.App.Get<LifecycleQueries>().ListAsync(new TransitionQuery(TransitionStatus.Pending), ct);
                if (pending.Items.FirstOrDefault(r => r.ModelName == "promote-wait") is { } request)
                {
                    _ = approve
                        ? await lifecycle.ApproveAsync(fixture.Reviewer.Actor, request.Id, "Looks right.", ct)
                        : await lifecycle.RejectAsync(fixture.Reviewer.Actor, request.Id, "Eval numbers missing.", ct);
                    return;
                }

                await Task.Delay(50, ct);
            }
        }

        var waiting = mreg.RunAsync(Ct, "promote", "promote-wait", "1", "--to", "staging", "--comment", "nightly", "--wait", "--timeout", "2m", "--json");
        await DecideAsync(approve: true, Ct);
        var approved = await waiting;

        Assert.True(approved.ExitCode == 0, approved.ToString());
        Assert.Equal("Approved", approved.Json.GetProperty("status").GetString());
        Assert.Equal(Stage.Staging, await fixture.App.StageOfAsync("promote-wait", 1));

        var rejecting = mreg.RunAsync(Ct, "promote", "promote-wait", "2", "--to", "staging", "--wait");
        await DecideAsync(approve: false, Ct);
        var rejected = await rejecting;

        Assert.True(rejected.ExitCode == ExitCodes.Refused, rejected.ToString());
        Assert.Contains("Eval numbers missing.", rejected.Error, StringComparison.Ordinal);
        Assert.EndsWith("Rejected", rejected.Out.Trim(), StringComparison.Ordinal);

        // Nobody decides: the wait ends at the timeout with exit 3 and the request stays pending.
        var timedOut = await mreg.RunAsync(Ct, "promote", "promote-wait", "2", "--to", "staging", "--wait", "--timeout", "1s", "--json");
        Assert.True(timedOut.ExitCode == ExitCodes.Refused, timedOut.ToString());
        Assert.Equal("Timeout", timedOut.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Login_stores_url_and_token_privately_and_metrics_alias_and_ls_work_with_json()
    {
        using var mreg = fixture.Runner(token: null, url: null);
        mreg.Variables.Clear();

        var login = await mreg.RunAsync(Ct, "login", "--url", fixture.Url.ToString(), "--token", fixture.Token);

        Assert.True(login.ExitCode == 0, login.ToString());
        var config = Path.Combine(mreg.ConfigDirectory, "config.json");
        Assert.Contains(fixture.Token, await File.ReadAllTextAsync(config, Ct), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        }

        await PushAsync(mreg, "small-verbs");
        var metrics = await mreg.RunAsync(Ct, "metrics", "add", "small-verbs", "1", "mmlu=0.71", "loss=1.5", "--dataset", "mmlu", "--split", "test", "--json");
        Assert.True(metrics.ExitCode == 0, metrics.ToString());
        Assert.Equal(2, metrics.Json.GetArrayLength());
        var results = await fixture.App.Get<ModelRegistry.Core.Evaluation.EvaluationService>().ListAsync("small-verbs", 1, Ct);
        Assert.Contains(results, r => r.Name == "mmlu" && r.Value == 0.71 && r.Dataset == "mmlu" && r.Split == "test");

        var alias = await mreg.RunAsync(Ct, "alias", "set", "small-verbs", "candidate", "1", "--json");
        Assert.True(alias.ExitCode == 0, alias.ToString());
        Assert.Equal(1, alias.Json.GetProperty("version").GetInt32());

        var models = await mreg.RunAsync(Ct, "ls", "--json");
        Assert.Contains(models.Json.EnumerateArray(), m => m.GetProperty("name").GetString() == "small-verbs" && m.GetProperty("latest").GetInt32() == 1);
        var versions = await mreg.RunAsync(Ct, "ls", "small-verbs");
        Assert.Contains("VERSION", versions.Out, StringComparison.Ordinal);
        Assert.Contains("sha256:", versions.Out, StringComparison.Ordinal);

        // The environment overrides the file: a wrong token from MREG_TOKEN is refused.
        mreg.Variables["MREG_TOKEN"] = "mr_wrong";
        Assert.Equal(ExitCodes.Refused, (await mreg.RunAsync(Ct, "ls")).ExitCode);
    }

    [Fact]
    public async Task Every_exit_code_of_the_contract_with_readable_messages_and_json_errors()
    {
        using var mreg = fixture.Runner();
        await PushAsync(mreg, "exit-codes");

        Assert.Equal(ExitCodes.Ok, (await mreg.RunAsync(Ct, "ls", "exit-codes")).ExitCode);

        // 1: the command line, and missing settings.
        var usage = await mreg.RunAsync(Ct, "push", "/tmp");
        Assert.Equal(ExitCodes.Usage, usage.ExitCode);
        Assert.Contains("--model", usage.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, (await mreg.RunAsync(Ct, "metrics", "add", "exit-codes", "1", "accuracy=high")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await mreg.RunAsync(Ct, "promote", "exit-codes", "1", "--to", "heaven")).ExitCode);
        using (var unset = fixture.Runner())
        {
            unset.Variables.Clear();
            var noUrl = await unset.RunAsync(Ct, "ls");
            Assert.Equal(ExitCodes.Usage, noUrl.ExitCode);
            Assert.Contains("mreg login", noUrl.Error, StringComparison.Ordinal);
        }

        // 2: not found, with the server's problem details shown.
        var missing = await mreg.RunAsync(Ct, "pull", "no-such-model@1", Path.Combine(Path.GetTempPath(), "mreg-unused"), "--json");
        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
        Assert.Contains("no-such-model", missing.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, missing.Json.GetProperty("error").GetProperty("exitCode").GetInt32());
        Assert.Equal(404, missing.Json.GetProperty("error").GetProperty("status").GetInt32());

        // 3: refused — a Viewer may not push (403), a frozen version cannot change (409).
        using (var viewer = fixture.Runner(fixture.ViewerToken))
        {
            var dir = ModelDirectory.Create(("a.txt", "a"u8.ToArray()));
            var forbidden = await viewer.RunAsync(Ct, "push", dir.FullName, "--model", "exit-codes", "--json");
            Assert.Equal(ExitCodes.Refused, forbidden.ExitCode);
            Assert.Equal(403, forbidden.Json.GetProperty("error").GetProperty("status").GetInt32());
            dir.Delete(recursive: true);
        }

        var twice = await mreg.RunAsync(Ct, "alias", "set", "exit-codes", "latest", "1", "--json");
        Assert.Equal(ExitCodes.Usage, twice.ExitCode); // 'latest' is reserved: 400, shown with the field's message
        Assert.Contains("alias", twice.Error, StringComparison.OrdinalIgnoreCase);
        var request = await fixture.App.Get<LifecycleService>().RequestAsync(fixture.DataScientist.Actor, "exit-codes", 1, Stage.Staging, null, Ct);
        await fixture.App.Get<LifecycleService>().ApproveAsync(fixture.Reviewer.Actor, request.Id, null, Ct);
        var frozen = await mreg.RunAsync(Ct, "metrics", "add", "exit-codes", "1", "x=1");
        Assert.Equal(ExitCodes.Ok, frozen.ExitCode); // results may still be added to a frozen version
        var conflict = await mreg.RunAsync(Ct, "promote", "exit-codes", "1", "--to", "staging", "--json");
        Assert.Equal(ExitCodes.Refused, conflict.ExitCode);
        Assert.Equal(409, conflict.Json.GetProperty("error").GetProperty("status").GetInt32());

        // 4: verification failed.
        var other = ModelDirectory.Create(("config.json", "{ }"u8.ToArray()));
        Assert.Equal(ExitCodes.VerificationFailed, (await mreg.RunAsync(Ct, "verify", "exit-codes@1", other.FullName)).ExitCode);
        other.Delete(recursive: true);

        // 5: nothing listens there.
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var unreachable = fixture.Runner(url: new Uri($"http://127.0.0.1:{port}/"));
        var down = await unreachable.RunAsync(Ct, "ls", "--json");
        Assert.Equal(ExitCodes.Unreachable, down.ExitCode);
        Assert.Contains("Cannot reach the registry", down.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Unreachable, down.Json.GetProperty("error").GetProperty("exitCode").GetInt32());
    }
}
