using System.CommandLine;
using System.Globalization;
using ModelRegistry.Client.Api;

namespace ModelRegistry.Client.Commands;

/// <summary><c>mreg metrics add NAME N METRIC=VALUE... [--dataset D] [--split S]</c>: records evaluation results.</summary>
internal static class MetricsCommand
{
    public static Command Create(MregEnvironment env, Option<bool> json)
    {
        var model = new Argument<string>("NAME") { Description = "The model" };
        var number = new Argument<int>("N") { Description = "The version number" };
        var metrics = new Argument<string[]>("METRIC=VALUE") { Description = "One or more results, e.g. mmlu=0.71 loss=1.93", Arity = ArgumentArity.OneOrMore };
        var dataset = new Option<string?>("--dataset") { Description = "The evaluation data set" };
        var split = new Option<string?>("--split") { Description = "Its split, e.g. test" };
        var add = new Command("add", "Records evaluation results for a version") { model, number, metrics, dataset, split };
        add.SetAction((result, ct) => Mreg.RunActionAsync(env, result.GetValue(json), async results =>
        {
            var body = result.GetValue(metrics)!.Select(m => Parse(m, result.GetValue(dataset), result.GetValue(split))).ToList();
            var settings = ClientSettings.Load(env);
            using var connection = RegistryConnection.Open(env, settings);
            var recorded = await connection.Api.RecordMetricsAsync(result.GetValue(model)!, result.GetValue(number), body, ct);
            await results.WriteAsync(recorded, () => recorded.Select(r =>
                $"{r.Name}={r.Value.ToString(CultureInfo.InvariantCulture)}{(r.Dataset is { } d ? $" dataset={d}" : "")}{(r.Split is { } s ? $" split={s}" : "")}"));
            return ExitCodes.Ok;
        }));
        return new Command("metrics", "Evaluation results") { add };
    }

    internal static MetricInput Parse(string text, string? dataset, string? split)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || !double.TryParse(text[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new MregException(ExitCodes.Usage, $"'{text}' is not METRIC=VALUE with a number as the value (e.g. accuracy=0.93).");
        }

        return new MetricInput { Name = text[..eq], Value = value, Dataset = dataset, Split = split };
    }
}

/// <summary><c>mreg alias set NAME ALIAS N</c>: points an alias at a version.</summary>
internal static class AliasCommand
{
    public static Command Create(MregEnvironment env, Option<bool> json)
    {
        var model = new Argument<string>("NAME") { Description = "The model" };
        var alias = new Argument<string>("ALIAS") { Description = "The alias, e.g. champion" };
        var number = new Argument<int>("N") { Description = "The version number" };
        var set = new Command("set", "Points an alias at a version") { model, alias, number };
        set.SetAction((result, ct) => Mreg.RunActionAsync(env, result.GetValue(json), async results =>
        {
            var settings = ClientSettings.Load(env);
            using var connection = RegistryConnection.Open(env, settings);
            var info = await connection.Api.SetAliasAsync(result.GetValue(model)!, result.GetValue(alias)!, new AliasBody { Version = result.GetValue(number) }, ct);
            await results.WriteAsync(new AliasOutput(result.GetValue(model)!, info.Alias, info.Version, info.Digest),
                () => [$"{info.Alias} → {info.Version} {info.Digest}"]);
            return ExitCodes.Ok;
        }));
        return new Command("alias", "Named pointers to versions") { set };
    }
}

/// <summary><c>mreg ls [NAME]</c>: the models, or one model's versions.</summary>
internal static class ListCommand
{
    private const int PageSize = 100;

    public static Command Create(MregEnvironment env, Option<bool> json)
    {
        var model = new Argument<string?>("NAME") { Description = "A model: list its versions", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("ls", "Lists the models, or a model's versions") { model };
        command.SetAction((result, ct) => Mreg.RunActionAsync(env, result.GetValue(json), async results =>
        {
            var settings = ClientSettings.Load(env);
            using var connection = RegistryConnection.Open(env, settings);
            if (result.GetValue(model) is { } name)
            {
                var versions = new List<VersionInfo>();
                for (var page = 1; ; page++)
                {
                    var batch = await connection.Api.ListVersionsAsync(name, page, PageSize, ct);
                    versions.AddRange(batch.Items);
                    if (batch.Items.Count == 0 || versions.Count >= batch.Total)
                    {
                        break;
                    }
                }

                await results.WriteAsync(versions.Select(v => new VersionRow(v.Number, v.Stage, v.Digest, v.CreatedBy, v.CreatedAt, v.Source)).ToList(),
                    () => Results.Table(["VERSION", "STAGE", "CREATED", "DIGEST"], versions.Select(v => (IReadOnlyList<string>)
                        [v.Number.ToString(CultureInfo.InvariantCulture), v.Stage.ToString(), v.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), v.Digest ?? ""])));
                return ExitCodes.Ok;
            }

            var models = new List<ModelInfo>();
            for (var page = 1; ; page++)
            {
                var batch = await connection.Api.ListModelsAsync(page: page, pageSize: PageSize, cancellationToken: ct);
                models.AddRange(batch.Items);
                if (batch.Items.Count == 0 || models.Count >= batch.Total)
                {
                    break;
                }
            }

            await results.WriteAsync(models.Select(m => new ModelRow(m.Name, m.VersionCount, m.LatestVersion, m.ProductionVersion, m.UpdatedAt)).ToList(),
                () => Results.Table(["MODEL", "VERSIONS", "LATEST", "PRODUCTION"], models.Select(m => (IReadOnlyList<string>)
                    [m.Name, m.VersionCount.ToString(CultureInfo.InvariantCulture), m.LatestVersion?.ToString(CultureInfo.InvariantCulture) ?? "-",
                     m.ProductionVersion?.ToString(CultureInfo.InvariantCulture) ?? "-"])));
            return ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary>
/// <c>mreg login --url URL [--token T]</c>: checks that the registry answers and takes the token, then stores both in
/// the config directory (mode 0600). Without --token the token is read from standard input (prompted for, unechoed, on a terminal).
/// </summary>
internal static class LoginCommand
{
    public static Command Create(MregEnvironment env, Option<bool> json)
    {
        var url = new Option<string>("--url") { Description = "The registry, e.g. https://registry.example.com", Required = true };
        var token = new Option<string?>("--token") { Description = "An API token (made on the dashboard's Tokens page); read from standard input when left out" };
        var command = new Command("login", "Stores the registry's URL and your API token") { url, token };
        command.SetAction((result, ct) => Mreg.RunActionAsync(env, result.GetValue(json), async results =>
        {
            var given = result.GetValue(token) ?? await ReadTokenAsync(env, ct);
            if (string.IsNullOrWhiteSpace(given))
            {
                throw new MregException(ExitCodes.Usage, "No token: pass --token or type it on standard input.");
            }

            var settings = new ClientSettings(ClientSettings.ParseUrl(result.GetValue(url)!), given.Trim());
            using (var connection = RegistryConnection.Open(env, settings))
            {
                // Any authenticated read proves both: the URL is a registry, and it accepts the token.
                await connection.Api.ListModelsAsync(page: 1, pageSize: 1, cancellationToken: ct);
            }

            settings.Save(env);
            var file = ClientSettings.PathIn(env);
            await results.WriteAsync(new LoginOutput(settings.Url, file),
                () => [$"Logged in to {settings.Url} (saved in {file})"]);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<string?> ReadTokenAsync(MregEnvironment env, CancellationToken ct)
    {
        if (env.In is null)
        {
            return null;
        }

        if (env.InputIsTerminal && env.ErrorIsTerminal && ReferenceEquals(env.In, Console.In))
        {
            // Typed, not echoed.
            await env.Error.WriteAsync("API token: ");
            var typed = new System.Text.StringBuilder();
            for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
            {
                if (key.Key == ConsoleKey.Backspace && typed.Length > 0)
                {
                    typed.Length--;
                }
                else if (!char.IsControl(key.KeyChar))
                {
                    typed.Append(key.KeyChar);
                }
            }

            await env.Error.WriteLineAsync();
            return typed.ToString();
        }

        return await env.In.ReadLineAsync(ct);
    }
}
