//! The QR code of a TOTP enrolment's otpauth URI, as the SVG the enrolment answer carries.

use qrcode::render::svg;
use qrcode::QrCode;

/// An SVG QR code of `data` (the otpauth URI), for `<img src="data:image/svg+xml,…">` or inline.
pub fn qr_svg(data: &str) -> String {
    match QrCode::new(data.as_bytes()) {
        Ok(code) => code
            .render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(e) => {
            tracing::warn!(error = %e, "could not render a QR code");
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_an_svg() {
        let svg = super::qr_svg("otpauth://totp/DocuVault:ann?secret=JBSWY3DPEHPK3PXP");
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
