using System.CommandLine;
using System.Diagnostics;
using ModelRegistry.Core.Demo;

namespace ModelRegistry.Web.Cli;

/// <summary><c>seed-demo [--models N] [--versions-per-model M]</c>: realistic demo content, or a bulk data set for scale tests.</summary>
internal static class SeedDemoCommand
{
    public static Command Create(Func<Func<IServiceProvider, Task<int>>, Task<int>> withServices)
    {
        var models = new Option<int?>("--models") { Description = "How many models (default: the hand-written demo set)" };
        var versions = new Option<int?>("--versions-per-model") { Description = "Versions per model (default 3)" };
        var command = new Command("seed-demo", "Fill the registry with demo models and versions") { models, versions };
        command.SetAction((result, ct) => withServices(async services =>
        {
            var seeder = services.GetRequiredService<DemoSeeder>();
            var n = result.GetValue(models);
            var m = result.GetValue(versions);
            if (n is < 1 or > 1_000_000 || m is < 1 or > 100_000)
            {
                await Console.Error.WriteLineAsync("error: --models must be 1–1000000 and --versions-per-model 1–100000.");
                return 2;
            }

            var clock = Stopwatch.StartNew();
            var summary = n is null
                ? await seeder.SeedShowcaseAsync(ct)
                : await seeder.SeedBulkAsync(n.Value, m ?? 3, ct);
            await Console.Error.WriteLineAsync(
                $"Seeded {summary.Models} models and {summary.Versions} versions in {clock.Elapsed.TotalSeconds:F1} s.");
            return 0;
        }));
        return command;
    }
}
