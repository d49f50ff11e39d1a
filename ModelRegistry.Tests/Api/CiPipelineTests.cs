using System.Diagnostics;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using ModelRegistry.Tests.Mreg;

namespace ModelRegistry.Tests.Api;

/// <summary>The worked pipeline of docs/ci.md, run as written against a live registry while a reviewer approves.</summary>
public sealed class CiPipelineTests
{
    private static readonly string Script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "docs", "ci", "pipeline.sh"));

    [Fact]
    public async Task Documented_pipeline_registers_uploads_requests_waits_for_approval_and_records_the_deployment()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = new RegistryApp();
        app.Settings["Registry:Policy:Staging:RequireArtifact"] = "true";
        app.UseKestrel(0);
        app.StartServer();
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var reviewer = await app.CreateUserAsync(Roles.Reviewer);
        var token = await app.Get<TokenService>().CreateAsync(Actor.CommandLine, ds.Id, "ci", 1, ct);
        var files = Directory.CreateTempSubdirectory("mr-pipeline-");
        await File.WriteAllTextAsync(Path.Combine(files.FullName, "config.json"),
            "{\"architectures\":[\"LlamaForCausalLM\"],\"max_position_embeddings\":131072}", ct);
        await File.WriteAllBytesAsync(Path.Combine(files.FullName, "tokenizer.model"), [1, 2, 3, 4, 5], ct);
        Directory.CreateDirectory(Path.Combine(files.FullName, "weights"));
        var shard = System.Security.Cryptography.RandomNumberGenerator.GetBytes(9 * 1024 * 1024);   // large: goes through tus
        await File.WriteAllBytesAsync(Path.Combine(files.FullName, "weights", "shard-1.bin"), shard, ct);
        var deployDir = Directory.CreateTempSubdirectory("mr-deploy-");
        var home = Directory.CreateTempSubdirectory("mr-home-");

        // The reviewer: approves the pipeline's request once it shows up in the queue.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reviewing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var pending = await app.Get<LifecycleQueries>().ListAsync(new TransitionQuery(TransitionStatus.Pending), stop.Token);
                foreach (var request in pending.Items)
                {
                    await app.Get<LifecycleService>().ApproveAsync(reviewer.Actor, request.Id, "Numbers look right.", stop.Token);
                    return;
                }

                await Task.Delay(200, stop.Token);
            }
        }, stop.Token);

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        start.Environment["REGISTRY_URL"] = app.ClientOptions.BaseAddress.ToString();
        start.Environment["REGISTRY_TOKEN"] = token.Token;
        start.Environment["MODEL"] = "ci-assistant";
        start.Environment["FILES_DIR"] = files.FullName;
        start.Environment["WAIT_SECONDS"] = "60";
        start.Environment["CI_RUN_URL"] = "https://ci.example.com/runs/42";
        start.Environment["DEPLOY_DIR"] = deployDir.FullName;
        start.Environment["HOME"] = home.FullName;   // mreg's config and push state stay out of the real home
        start.Environment["MREG"] = await NativeMreg.PathAsync(ct);   // as a pipeline installs it: the native tool
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        await stop.CancelAsync();
        files.Delete(recursive: true);
        home.Delete(recursive: true);

        Assert.True(process.ExitCode == 0, await stderr);
        // The deploy job pulled exactly the approved bytes, subfolders included.
        Assert.Equal(shard, await File.ReadAllBytesAsync(Path.Combine(deployDir.FullName, "weights", "shard-1.bin"), ct));
        Assert.Equal([1, 2, 3, 4, 5], await File.ReadAllBytesAsync(Path.Combine(deployDir.FullName, "tokenizer.model"), ct));
        deployDir.Delete(recursive: true);
        Assert.Equal("1", (await stdout).Trim());
        Assert.Equal(Stage.Staging, await app.StageOfAsync("ci-assistant", 1));
        var deployments = await app.Get<ModelRegistry.Core.Deployments.DeploymentService>()
            .ListAsync(new ModelRegistry.Core.Deployments.DeploymentQuery(Model: "ci-assistant"), ct);
        var deployment = Assert.Single(deployments.Items);
        Assert.Equal("staging", deployment.Environment);
        Assert.Equal("https://ci.example.com/runs/42", deployment.ExternalRef);
        await reviewing.ContinueWith(_ => { }, CancellationToken.None);
    }
}
