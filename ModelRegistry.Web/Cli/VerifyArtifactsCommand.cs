using System.CommandLine;
using System.Globalization;
using ModelRegistry.Core.Artifacts;

namespace ModelRegistry.Web.Cli;

/// <summary>
/// <c>verify-artifacts</c>: re-hashes every stored file. Standard output gets one line per affected file,
/// <c>path&lt;TAB&gt;sha256&lt;TAB&gt;problem</c>, and nothing when all is well; the summary goes to standard error.
/// Exit code 0 when every blob matches, 1 when one is missing or changed.
/// </summary>
internal static class VerifyArtifactsCommand
{
    public static Command Create(Func<Func<IServiceProvider, Task<int>>, Task<int>> withServices)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Print each blob as it is checked (to standard error)" };
        var command = new Command("verify-artifacts", "Re-hash the artifact store and report files whose bytes no longer match") { verbose };
        command.SetAction((result, ct) => withServices(async services =>
        {
            var progress = result.GetValue(verbose) ? new Progress<string>(line => Console.Error.WriteLine($"checking {line}")) : null;
            var report = await services.GetRequiredService<ArtifactService>().VerifyAsync(progress, ct);
            foreach (var problem in report.Problems)
            {
                foreach (var file in problem.Files)
                {
                    Console.Out.WriteLine($"{file}\t{problem.Sha256}\t{problem.Problem}");
                }
            }

            var size = (report.Bytes / (1024.0 * 1024 * 1024)).ToString("0.##", CultureInfo.InvariantCulture);
            await Console.Error.WriteLineAsync(report.Ok
                ? $"Checked {report.Checked} stored files ({size} GiB): all match their SHA-256."
                : $"Checked {report.Checked} stored files ({size} GiB): {report.Problems.Count} do not match (listed on standard output).");
            if (report.Unreferenced.Count > 0)
            {
                await Console.Error.WriteLineAsync($"{report.Unreferenced.Count} blob(s) in the store belong to no file (harmless).");
            }

            return report.Ok ? 0 : 1;
        }));
        return command;
    }
}
