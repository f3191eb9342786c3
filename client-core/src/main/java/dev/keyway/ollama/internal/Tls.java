package dev.keyway.ollama.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.tls.Certificates;
import okhttp3.tls.HandshakeCertificates;

/** Trust material from PEM, through okhttp-tls. */
public final class Tls {
  private static final String END = "-----END CERTIFICATE-----";

  private Tls() {}

  /** A socket factory and the trust manager it uses. */
  public record Trust(SSLSocketFactory socketFactory, X509TrustManager trustManager) {}

  public static Trust trustingPemFile(Path pemFile) {
    try {
      return trustingPem(Files.readString(pemFile, StandardCharsets.US_ASCII), pemFile.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read CA certificate file " + pemFile, e);
    }
  }

  public static Trust trustingPem(String pem) {
    return trustingPem(pem, "the PEM text");
  }

  private static Trust trustingPem(String pem, String source) {
    List<X509Certificate> certificates = new ArrayList<>();
    int from = 0;
    while (true) {
      int end = pem.indexOf(END, from);
      if (end < 0) {
        break;
      }
      String one = pem.substring(from, end + END.length());
      try {
        certificates.add(Certificates.decodeCertificatePem(one.substring(one.indexOf("-----BEGIN"))));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("not a valid PEM certificate in " + source, e);
      }
      from = end + END.length();
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException(
          "no '-----BEGIN CERTIFICATE-----' block found in " + source);
    }
    HandshakeCertificates.Builder builder = new HandshakeCertificates.Builder().addPlatformTrustedCertificates();
    for (X509Certificate certificate : certificates) {
      builder.addTrustedCertificate(certificate);
    }
    HandshakeCertificates handshake = builder.build();
    return new Trust(handshake.sslSocketFactory(), handshake.trustManager());
  }
}
