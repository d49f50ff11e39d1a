using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace ModelRegistry.Client;

/// <summary>Results on standard output: text for people, one JSON document with <c>--json</c>.</summary>
internal sealed class Results(MregEnvironment env, bool json)
{
    public bool Json { get; } = json;

    /// <summary>Whether a result was written (a failure after it adds no second JSON document).</summary>
    public bool Written { get; private set; }

    /// <summary>Writes <paramref name="value"/> as JSON with <c>--json</c>, else the lines <paramref name="text"/> gives.</summary>
    public async Task WriteAsync<T>(T value, Func<IEnumerable<string>> text)
    {
        Written = true;
        if (Json)
        {
            await env.Out.WriteLineAsync(JsonSerializer.Serialize(value, MregJson.Info<T>()));
        }
        else
        {
            foreach (var line in text())
            {
                await env.Out.WriteLineAsync(line);
            }
        }

        await env.Out.FlushAsync();
    }

    /// <summary>Columns padded to their widest cell, for <c>ls</c>.</summary>
    public static IEnumerable<string> Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        return all.Select(r => string.Join("  ", r.Select((cell, i) => i == r.Count - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
    }
}

/// <summary>Byte counts as people read them.</summary>
internal static class Bytes
{
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}

/// <summary>One file's transfer (or hashing) as progress shows it. Thread-safe.</summary>
internal interface IProgressItem
{
    void Advance(long bytes);

    /// <summary>Back to <paramref name="bytes"/> done (a resumed transfer that found where it stands).</summary>
    void Reset(long bytes);

    void Done(string outcome);
}

/// <summary>
/// Progress on standard error: a Spectre.Console bar per file when standard error is a terminal; otherwise (CI logs)
/// plain lines — a line when a file is done, and every 10% for files of 64 MiB or more.
/// </summary>
internal abstract class ProgressView
{
    public abstract IProgressItem Add(string label, long total);

    /// <summary>Runs <paramref name="work"/> with a view fitting <paramref name="env"/>.</summary>
    public static async Task<T> RunAsync<T>(MregEnvironment env, Func<ProgressView, Task<T>> work)
    {
        if (!env.ErrorIsTerminal)
        {
            return await work(new PlainProgress(env.Error));
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(env.Error) });
        return await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(context => work(new BarProgress(context)));
    }

    private sealed class BarProgress(ProgressContext context) : ProgressView
    {
        public override IProgressItem Add(string label, long total)
        {
            var task = context.AddTask(Markup.Escape(label), maxValue: Math.Max(total, 1));
            return new Item(task, total);
        }

        private sealed class Item(ProgressTask task, long total) : IProgressItem
        {
            public void Advance(long bytes) => task.Increment(bytes);

            public void Reset(long bytes) => task.Value = bytes;

            public void Done(string outcome)
            {
                task.Description = $"{task.Description} [grey]({Markup.Escape(outcome)})[/]";
                task.Value = Math.Max(total, 1);
                task.StopTask();
            }
        }
    }

    private sealed class PlainProgress(TextWriter error) : ProgressView
    {
        private const long StepFrom = 64L << 20;
        private readonly Lock _write = new();

        public override IProgressItem Add(string label, long total) => new Item(this, label, total);

        private void Line(string text)
        {
            lock (_write)
            {
                error.WriteLine(text);
                error.Flush();
            }
        }

        private sealed class Item(PlainProgress view, string label, long total) : IProgressItem
        {
            private long _done;
            private int _reportedStep;

            public void Advance(long bytes)
            {
                var done = Interlocked.Add(ref _done, bytes);
                if (total < StepFrom)
                {
                    return;
                }

                var step = (int)(done * 10 / total);
                var reported = Volatile.Read(ref _reportedStep);
                if (step > reported && step < 10 && Interlocked.CompareExchange(ref _reportedStep, step, reported) == reported)
                {
                    view.Line($"{label}: {step * 10}% ({Bytes.Format(done)} of {Bytes.Format(total)})");
                }
            }

            public void Reset(long bytes)
            {
                Interlocked.Exchange(ref _done, bytes);
                Volatile.Write(ref _reportedStep, total > 0 ? (int)(bytes * 10 / total) : 0);
                if (bytes > 0)
                {
                    view.Line($"{label}: resuming at {Bytes.Format(bytes)} of {Bytes.Format(total)}");
                }
            }

            public void Done(string outcome) => view.Line($"{label}: {outcome} ({Bytes.Format(total)})");
        }
    }
}
