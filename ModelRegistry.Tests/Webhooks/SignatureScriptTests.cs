using System.Diagnostics;
using System.Text;
using ModelRegistry.Core.Webhooks;

namespace ModelRegistry.Tests.Webhooks;

/// <summary>The receiver-side script in scripts/ agrees with the signatures the registry sends.</summary>
public sealed class SignatureScriptTests
{
    private static readonly string Script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "scripts", "verify_webhook_signature.py"));

    [Fact]
    public async Task Script_accepts_the_registrys_signature_and_refuses_a_tampered_body()
    {
        var body = Encoding.UTF8.GetBytes("{\"event\":\"stage.changed\",\"model\":\"llama-chat\",\"data\":{\"to\":\"Production\"}}");
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, body, TestContext.Current.CancellationToken);
        try
        {
            var signature = WebhookDispatcher.Sign("s3cr3t-s3cr3t-s3cr3t", body);

            Assert.Equal(0, await RunAsync("s3cr3t-s3cr3t-s3cr3t", file, signature));
            Assert.Equal(1, await RunAsync("another-secret-entirely", file, signature));

            await File.WriteAllBytesAsync(file, [.. body, (byte)' '], TestContext.Current.CancellationToken);
            Assert.Equal(1, await RunAsync("s3cr3t-s3cr3t-s3cr3t", file, signature));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<int> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return process.ExitCode;
    }
}
